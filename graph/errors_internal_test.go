package graph

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestCancelledRequestsAreNotLoggedAsErrors: a failure caused by the client
// going away is an INFO line; the same failure on a live request is an ERROR.
func TestCancelledRequestsAreNotLoggedAsErrors(t *testing.T) {
	var logged bytes.Buffer
	present := presentError(slog.New(slog.NewTextHandler(&logged, nil)))
	failure := errors.New("read tcp: connection reset")

	live := present(context.Background(), failure)
	if !strings.Contains(logged.String(), "level=ERROR") || live.Extensions["code"] != "INTERNAL" {
		t.Fatalf("live request: logged %q, answered %v", logged.String(), live.Extensions)
	}

	logged.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := present(ctx, failure)
	if !strings.Contains(logged.String(), "level=INFO") || strings.Contains(logged.String(), "level=ERROR") {
		t.Fatalf("cancelled request logged %q", logged.String())
	}
	if gone.Extensions["code"] != "INTERNAL" || strings.Contains(gone.Message, "connection reset") {
		t.Fatalf("cancelled request answered %q %v", gone.Message, gone.Extensions)
	}
}
