package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"agentdesk/apperr"
	"agentdesk/reqctx"
)

// presentError gives every error the contract's extensions.code: rule errors
// pass through with their message (and field, retryAfterSeconds); errors in
// the request itself (syntax, validation, variables) are BAD_USER_INPUT;
// anything else is INTERNAL with a request id, and its text goes only to the
// log.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := apperr.As(err); ok {
			gqlErr.Message = e.Message
			gqlErr.Extensions = map[string]any{"code": string(e.Code)}
			if e.Field != "" {
				gqlErr.Extensions["field"] = e.Field
			}
			if e.Code == apperr.RateLimited {
				gqlErr.Extensions["retryAfterSeconds"] = e.RetryAfterSeconds
			}
			return gqlErr
		}
		var original *gqlerror.Error
		if errors.As(err, &original) && original.Err == nil && isRequestError(original) {
			ext := map[string]any{}
			for k, v := range original.Extensions {
				ext[k] = v
			}
			if code, _ := ext["code"].(string); code != "" && code != string(apperr.BadUserInput) {
				ext["reason"] = code // gqlgen's own name for what went wrong
			}
			ext["code"] = string(apperr.BadUserInput)
			gqlErr.Extensions = ext
			gqlErr.Message = clipMessage(gqlErr.Message)
			return gqlErr
		}
		id := reqctx.RequestID(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			log.WarnContext(ctx, "request timed out", "request_id", id, "path", gqlErr.Path.String(), "err", err)
			return &gqlerror.Error{
				Message:    "The request took too long and was cancelled.",
				Path:       gqlErr.Path,
				Extensions: map[string]any{"code": string(apperr.Internal), "requestId": id},
			}
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			// The client went away (closed the connection, gave up): whatever
			// failed after that is no fault of ours and nobody reads the answer.
			log.InfoContext(ctx, "request cancelled by the client", "request_id", id, "path", gqlErr.Path.String(), "err", err)
			return &gqlerror.Error{
				Message:    "The request was cancelled.",
				Path:       gqlErr.Path,
				Extensions: map[string]any{"code": string(apperr.Internal), "requestId": id},
			}
		}
		log.ErrorContext(ctx, "internal error", "request_id", id, "path", gqlErr.Path.String(), "err", err)
		return &gqlerror.Error{
			Message:    "Something went wrong on our side. Quote the request id if you report it.",
			Path:       gqlErr.Path,
			Extensions: map[string]any{"code": string(apperr.Internal), "requestId": id},
		}
	}
}

// isRequestError tells gqlgen's own errors about the request (parse,
// validation, variable coercion) from errors raised while executing it.
func isRequestError(e *gqlerror.Error) bool {
	code, _ := e.Extensions["code"].(string)
	switch code {
	case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "COMPLEXITY_LIMIT_EXCEEDED",
		"PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED":
		return true
	}
	// Variable and argument coercion errors carry no code but a path-less
	// message from the executor; they are only ever produced before resolvers
	// run, so an error without an underlying Go error is the request's fault.
	return code == "" && e.Err == nil && len(e.Path) == 0
}

// recoverPanic turns a panicking resolver into INTERNAL; the server keeps
// serving.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panic", "request_id", reqctx.RequestID(ctx), "panic", p)
		return fmt.Errorf("panic: %v", p)
	}
}

// maxMessageBytes bounds the message of a request error: the parser and
// validator quote what the client sent ("cannot represent non-enum value:
// …"), and an answer must not be a megabyte echo of the question.
const maxMessageBytes = 512

// clipMessage cuts a message to maxMessageBytes at a character boundary.
func clipMessage(m string) string {
	if len(m) <= maxMessageBytes {
		return m
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut] + "… (cut)"
}
