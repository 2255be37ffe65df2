package microcore

import (
	"context"

	"microcore.dev/sdk/go/gen/microcorev1"
)

// Logger is the logger tool. The kernel adds the identity and the trace id to
// every line.
type Logger struct{ c microcorev1.LoggerClient }

// Log writes one line; fields are converted as V does and may be nil.
func (l *Logger) Log(ctx context.Context, level microcorev1.LogLevel, msg string, fields map[string]any) error {
	fs, err := valueFields(fields, "fields")
	if err != nil {
		return err
	}
	_, err = l.c.Log(ctx, &microcorev1.LogRequest{Level: level, Message: msg, Fields: fs})
	return err
}

// Debug logs at LOG_LEVEL_DEBUG.
func (l *Logger) Debug(ctx context.Context, msg string, fields map[string]any) error {
	return l.Log(ctx, microcorev1.LogLevel_LOG_LEVEL_DEBUG, msg, fields)
}

// Info logs at LOG_LEVEL_INFO.
func (l *Logger) Info(ctx context.Context, msg string, fields map[string]any) error {
	return l.Log(ctx, microcorev1.LogLevel_LOG_LEVEL_INFO, msg, fields)
}

// Warn logs at LOG_LEVEL_WARN.
func (l *Logger) Warn(ctx context.Context, msg string, fields map[string]any) error {
	return l.Log(ctx, microcorev1.LogLevel_LOG_LEVEL_WARN, msg, fields)
}

// Error logs at LOG_LEVEL_ERROR.
func (l *Logger) Error(ctx context.Context, msg string, fields map[string]any) error {
	return l.Log(ctx, microcorev1.LogLevel_LOG_LEVEL_ERROR, msg, fields)
}
