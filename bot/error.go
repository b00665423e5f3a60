package bot

import (
	"errors"
	"fmt"
)

// Error codes say what kind of failure a user met; the message is safe to show them.
const (
	EINVALID   = "invalid"   // the input breaks the grammar or a rule
	ENOTFOUND  = "not_found" // a topic or question that does not exist
	EFORBIDDEN = "forbidden" // an admin command from a non-admin
	ECOOLDOWN  = "cooldown"  // too many commands too fast
	EINTERNAL  = "internal"  // our fault; details stay in the log
)

// Error is a failure with a message meant for the user who caused it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf builds a user-facing error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the code of a user-facing error anywhere in err's chain, EINTERNAL otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
