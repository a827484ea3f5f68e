package train

import (
	"encoding/json"
	"io"
	"math"
	"time"
)

// eventWriter writes one JSON object per line: {"event": kind, "time":
// RFC 3339, ...fields}. Non-finite numbers become strings so every line
// stays valid JSON.
type eventWriter struct {
	w io.Writer
}

func (ev *eventWriter) emit(kind string, fields map[string]any) {
	if ev == nil || ev.w == nil {
		return
	}
	m := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			v = jsonFloat(f)
		}
		m[k] = v
	}
	m["event"] = kind
	m["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	ev.w.Write(append(b, '\n'))
}

func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case f > 0:
		return "+Inf"
	}
	return "-Inf"
}
