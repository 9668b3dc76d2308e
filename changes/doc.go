// Package changes is the change-approval workflow: submit a proposal for
// approval, decide on it (approve, reject with a reason, verify after the
// change), expire what nobody decided, and answer which approved change of
// a connection is under way. The pure rules of who may decide what live in
// approval; the requests and their audit trail in store.
//
// The workflow talks to people only through two small interfaces, Notifier
// (thread roots, thread replies, a private word to one user) and Directory
// (who is an approver), which the bot implements on Slack. It must never
// import bot or slack-go, so that it is tested with in-memory ones.
package changes
