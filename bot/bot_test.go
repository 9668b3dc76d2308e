package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/doorbot/doorbot/commands"
	"github.com/doorbot/doorbot/handlers"
)

// Once the bot has stopped, nothing new starts: a form is refused (it
// would run on a goroutine nobody waits for) and a slow command too.
func TestNothingStartsAfterWait(t *testing.T) {
	b := New(nil, commands.New(commands.Deps{Service: &handlers.Service{}}), Options{Queue: 1})
	ctx, cancel := context.WithCancel(context.Background())
	b.Start(ctx)
	cancel()
	b.Wait()
	ack := b.Accept(context.Background(), slack.SlashCommand{UserID: "U1", Command: "/door", Text: "validate", TriggerID: "1.2.3"})
	if !strings.Contains(ack.Text, "busy") {
		t.Errorf("a form after shutdown: %+v", ack)
	}
}
