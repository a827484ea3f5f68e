package serve

import (
	"strconv"
	"unsafe"
)

// scanPixels is the fast path of parsePixels for the one shape clients
// send, {"pixels": [n1, n2, ...]} with any JSON whitespace: it parses the
// numbers in place without reflection. It returns ok=false for anything
// else (other keys, strings, nesting, malformed numbers), and parsePixels
// then decodes with encoding/json, which gives the precise error. Both
// paths accept the same documents with the same values (FuzzParsePixels
// checks this), except that the scanner stops after Pixels+1 numbers: the
// request is wrong whatever follows.
func scanPixels(b []byte, dst []float32) (out []float32, ok bool) {
	i := 0
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	lit := func(s string) bool {
		ws()
		if len(b)-i < len(s) || string(b[i:i+len(s)]) != s {
			return false
		}
		i += len(s)
		return true
	}
	if !lit("{") || !lit(`"pixels"`) || !lit(":") || !lit("[") {
		return nil, false
	}
	out = dst[:0]
	ws()
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			ws()
			start := i
			if i = jsonNumber(b, i); i < 0 {
				return nil, false
			}
			tok := b[start:i]
			// The token is a valid JSON number, which ParseFloat reads
			// exactly as encoding/json does; the string shares b's memory
			// and does not outlive this call.
			f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 32)
			if err != nil {
				return nil, false // out of float32 range: let encoding/json report it
			}
			out = append(out, float32(f))
			if len(out) > Pixels {
				return out, true // too many already: no need to read on
			}
			ws()
			if i >= len(b) {
				return nil, false
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ',' {
				return nil, false
			}
			i++
		}
	}
	if !lit("}") {
		return nil, false
	}
	ws()
	return out, i == len(b)
}

// jsonNumber returns the index after the JSON number starting at b[i]
// (RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), or -1.
func jsonNumber(b []byte, i int) int {
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return -1
		}
	}
	return i
}
