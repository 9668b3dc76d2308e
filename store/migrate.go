package store

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var embedded embed.FS

// Dialects a migration file can address with a "-- +doorbot" block.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// migrator describes how one driver runs the shared migrations.
type migrator struct {
	dialect string               // dialectSQLite or dialectPostgres
	goose   goose.Dialect        // goose's name for the same SQL dialect
	lock    goose.ProviderOption // nil: the caller serializes (SQLite's file lock) or nobody else can see the database
}

// migrate brings db's schema up to the newest embedded migration, holding
// m.lock so that replicas starting together apply each file once. A
// database migrated by a newer doorbot is refused rather than used: its
// rows may mean something this binary does not know.
func migrate(ctx context.Context, db *sql.DB, m migrator) error {
	fsys, err := fs.Sub(embedded, "migrations")
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if m.lock != nil {
		opts = append(opts, m.lock)
	}
	p, err := goose.NewProvider(m.goose, db, dialectFS{base: fsys, dialect: m.dialect}, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sources := p.ListSources()
	known := sources[len(sources)-1].Version
	cur, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrations: read schema version: %w", err)
	}
	if cur > known {
		return fmt.Errorf("database schema version %d is newer than this doorbot knows (%d); upgrade doorbot", cur, known)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// checkSchema is migrate for a reader: it reads the schema version goose
// recorded, without goose (whose provider creates its version table), and
// refuses a database without doorbot's schema or with a newer one.
func checkSchema(ctx context.Context, db *sql.DB) error {
	var cur sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(version_id) FROM "+goose.DefaultTablename).Scan(&cur); err != nil {
		return fmt.Errorf("no doorbot schema (doorbot serve creates it): %w", err)
	}
	entries, err := fs.Glob(embedded, "migrations/*.sql")
	if err != nil || len(entries) == 0 {
		return fmt.Errorf("migrations: %v", err)
	}
	known, err := goose.NumericComponent(path.Base(entries[len(entries)-1]))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if cur.Int64 > known {
		return fmt.Errorf("database schema version %d is newer than this doorbot knows (%d); upgrade doorbot", cur.Int64, known)
	}
	return nil
}

// postgresMigrator serializes migrations with goose's session advisory
// lock, which PostgreSQL releases by itself if the holder dies. A replica
// waiting for it checks every second (goose's default is every 5 s), for
// up to 5 minutes.
func postgresMigrator() (migrator, error) {
	l, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return migrator{}, err
	}
	return migrator{dialect: dialectPostgres, goose: goose.DialectPostgres, lock: goose.WithSessionLocker(l)}, nil
}

// dialectFS shows goose each migration file as the given dialect sees it:
// lines inside another dialect's "-- +doorbot <dialect>" block are blanked
// (blanked, not removed, so that goose's line numbers stay right).
type dialectFS struct {
	base    fs.FS
	dialect string
}

func (d dialectFS) Open(name string) (fs.File, error) {
	f, err := d.base.Open(name)
	if err != nil || path.Ext(name) != ".sql" {
		return f, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	out, err := forDialect(raw, d.dialect)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &sqlFile{Reader: bytes.NewReader(out), info: sizedInfo{info, int64(len(out))}}, nil
}

// forDialect keeps the lines common to every dialect and those of
// dialect's blocks. A block starts with "-- +doorbot sqlite" or
// "-- +doorbot postgres" and runs to the next such line or to
// "-- +doorbot end".
func forDialect(src []byte, dialect string) ([]byte, error) {
	var out bytes.Buffer
	block := "" // the dialect of the current block; "" outside blocks
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- +doorbot"); ok {
			switch word := strings.TrimSpace(rest); word {
			case dialectSQLite, dialectPostgres:
				block = word
			case "end":
				if block == "" {
					return nil, fmt.Errorf("line %d: -- +doorbot end outside a block", n)
				}
				block = ""
			default:
				return nil, fmt.Errorf("line %d: unknown -- +doorbot %q (want sqlite, postgres or end)", n, word)
			}
			out.WriteString("\n")
			continue
		}
		if block == "" || block == dialect {
			out.WriteString(line)
		}
		out.WriteString("\n")
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if block != "" {
		return nil, fmt.Errorf("-- +doorbot %s block not closed with -- +doorbot end", block)
	}
	return out.Bytes(), nil
}

type sqlFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *sqlFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *sqlFile) Close() error               { return nil }

type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (i sizedInfo) Size() int64 { return i.size }
