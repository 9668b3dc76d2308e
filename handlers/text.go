package handlers

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// RenderText writes a reply for a terminal: the console and the CLI's text
// output. Thread replies follow their parent, marked as such.
func RenderText(w io.Writer, r Reply) error {
	ew := &errWriter{w: w}
	renderBlocks(ew, r.Blocks)
	for i, t := range r.Thread {
		fmt.Fprintf(ew, "\n── thread reply %d ──\n", i+1)
		renderBlocks(ew, t.Blocks)
	}
	return ew.err
}

func renderBlocks(w io.Writer, blocks []Block) {
	for _, b := range blocks {
		switch b.Kind {
		case Heading:
			for i, l := range b.Lines {
				fmt.Fprintln(w, withIcon(b, i, oneLine(l)))
			}
		case Paragraph:
			for i, l := range b.Lines {
				indent := "  "
				if i > 0 && b.Hanging {
					indent = "      "
				}
				fmt.Fprintln(w, indent+withIcon(b, i, oneLine(l)))
			}
		case Notes:
			for _, l := range b.Lines {
				fmt.Fprintln(w, "  "+oneLine(l))
			}
			for _, f := range b.Fields {
				fmt.Fprintln(w, "  "+oneLine(strings.TrimSpace(f.Label+" "+f.Value)))
			}
			for _, l := range b.Links {
				fmt.Fprintln(w, "  "+oneLine(l.Label)+" "+oneLine(l.URL))
			}
		case Fields:
			if len(b.Lines) > 0 {
				fmt.Fprintln(w, withIcon(b, 0, oneLine(b.Lines[0])))
			}
			for _, f := range b.Fields {
				fmt.Fprintln(w, "  "+oneLine(f.Label)+": "+oneLine(f.Value))
			}
		case Table:
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  "+strings.Join(b.Columns, "\t"))
			for _, row := range b.Rows {
				cells := make([]string, len(row))
				for i, c := range row {
					cells[i] = oneLine(c)
				}
				fmt.Fprintln(tw, "  "+strings.Join(cells, "\t"))
			}
			tw.Flush()
		case Code:
			for _, l := range b.Lines {
				writeCommand(w, l)
			}
		case Buttons:
			labels := make([]string, len(b.Buttons))
			for i, btn := range b.Buttons {
				labels[i] = "[" + btn.Label + "]"
			}
			fmt.Fprintln(w, "  "+strings.Join(labels, " "))
		case Divider:
			fmt.Fprintln(w)
		case Quote:
			writeQuote(w, b.Label, strings.Join(b.Lines, "\n"))
		}
	}
}

// writeQuote prints what a person typed: one line after its label, or
// each line marked as quoted under it, so that a typed line never stands
// where doorbot's own lines do.
func writeQuote(w io.Writer, label, text string) {
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n")), "\n")
	if len(lines) == 1 {
		fmt.Fprintln(w, "  "+oneLine(label)+": "+oneLine(lines[0]))
		return
	}
	fmt.Fprintln(w, "  "+oneLine(label)+":")
	for _, l := range lines {
		fmt.Fprintln(w, "    │ "+oneLine(l))
	}
}

// writeCommand prints one command to paste. A command that continues over
// lines ("\" + newline) keeps its line breaks, each line indented under
// the "$": flattened to one line, the backslash would escape a space and the
// shell would pass " " as an argument.
func writeCommand(w io.Writer, cmd string) {
	for i, l := range strings.Split(strings.TrimRight(cmd, "\n"), "\n") {
		prefix := "        "
		if i == 0 {
			prefix = "      $ "
		}
		fmt.Fprintln(w, prefix+oneLine(strings.TrimRight(l, " \t\r")))
	}
}

// oneLine keeps cloud-supplied text from breaking the layout or smuggling
// terminal escape sequences.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, s)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// withIcon puts a block's plain-text icon before its first line.
func withIcon(b Block, i int, line string) string {
	if i == 0 && b.Icon != "" {
		return b.Icon + " " + line
	}
	return line
}
