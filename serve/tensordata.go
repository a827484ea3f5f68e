package serve

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// parseTensorData reads an Open Inference Protocol "data" array of numbers
// for a tensor of the given shape, appending to dst. The protocol allows
// the elements flat, in row-major order, or nested as the shape says
// ([[...784...], ...] for [N, 784]); anything else is an error naming the
// element at fault. It reads at most one value more than the shape holds.
// b must be valid JSON (the request decoder has checked it).
func parseTensorData(b []byte, shape []int, dst []float32) ([]float32, error) {
	total := 1
	for _, d := range shape {
		total *= d
	}
	p := &dataParser{b: b, shape: shape, total: total, out: dst[:0]}
	p.ws()
	if p.i >= len(b) || b[p.i] != '[' {
		return nil, errors.New(`"data" must be a JSON array of numbers (flat, or nested as the shape)`)
	}
	j := p.i + 1
	for j < len(b) && isSpace(b[j]) {
		j++
	}
	var err error
	if j < len(b) && b[j] == '[' {
		err = p.nested(0, nil)
	} else {
		err = p.flat()
	}
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(b) {
		return nil, fmt.Errorf("unexpected %q after \"data\"", b[p.i])
	}
	return p.out, nil
}

type dataParser struct {
	b     []byte
	i     int
	shape []int
	total int
	out   []float32
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *dataParser) ws() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// flat reads [v, v, ...] with exactly total numbers.
func (p *dataParser) flat() error {
	p.i++ // '['
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return fmt.Errorf("\"data\" is empty; the shape %v needs %d values", p.shape, p.total)
	}
	for {
		if len(p.out) == p.total {
			return fmt.Errorf("\"data\" has more than %d values; the shape %v needs %d", p.total, p.shape, p.total)
		}
		if err := p.number(func() string { return fmt.Sprintf("data[%d]", len(p.out)) }); err != nil {
			return err
		}
		done, err := p.sep(func() string { return fmt.Sprintf("data[%d]", len(p.out)-1) })
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	if len(p.out) != p.total {
		return fmt.Errorf("\"data\" has %d values; the shape %v needs %d", len(p.out), p.shape, p.total)
	}
	return nil
}

// sep reads what follows an element of an array: ']' ends the array
// (done), ',' announces another element; anything else is an error naming
// the element just read (at).
func (p *dataParser) sep(at func() string) (done bool, err error) {
	p.ws()
	if p.i >= len(p.b) {
		return false, errors.New(`"data" ends part-way`)
	}
	switch p.b[p.i] {
	case ']':
		p.i++
		return true, nil
	case ',':
		p.i++
		return false, nil
	}
	return false, fmt.Errorf("%s: unexpected %q", at(), p.b[p.i])
}

// nested reads the array at depth d, whose elements are arrays down to the
// last dimension and numbers there; idx is the position of this array.
func (p *dataParser) nested(d int, idx []int) error {
	where := func(k int) string {
		var s strings.Builder
		s.WriteString("data")
		for _, i := range idx {
			fmt.Fprintf(&s, "[%d]", i)
		}
		if k >= 0 {
			fmt.Fprintf(&s, "[%d]", k)
		}
		return s.String()
	}
	if d >= len(p.shape) {
		return fmt.Errorf("%s: nested deeper than the shape %v", where(-1), p.shape)
	}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		return fmt.Errorf("%s: want an array of %d elements (the shape is %v)", where(-1), p.shape[d], p.shape)
	}
	p.i++
	p.ws()
	k := 0
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
	} else {
		for {
			if k == p.shape[d] {
				return fmt.Errorf("%s has more than %d elements; the shape is %v", where(-1), p.shape[d], p.shape)
			}
			if d == len(p.shape)-1 {
				kk := k
				if err := p.number(func() string { return where(kk) }); err != nil {
					return err
				}
			} else if err := p.nested(d+1, append(idx, k)); err != nil {
				return err
			}
			k++
			kk := k - 1
			done, err := p.sep(func() string { return where(kk) })
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	if k != p.shape[d] {
		return fmt.Errorf("%s has %d elements; the shape %v needs %d", where(-1), k, p.shape, p.shape[d])
	}
	return nil
}

// number reads one JSON number as a float32; at names it in errors.
func (p *dataParser) number(at func() string) error {
	p.ws()
	start := p.i
	end := jsonNumber(p.b, p.i)
	if end < 0 {
		tok := p.b[start:]
		if n := strings.IndexAny(string(tok[:min(len(tok), 41)]), ",]"); n >= 0 {
			tok = tok[:n]
		}
		return fmt.Errorf("%s = %s is not a number", at(), truncate(string(tok), 40))
	}
	p.i = end
	f, err := strconv.ParseFloat(string(p.b[start:end]), 32)
	if err != nil {
		return fmt.Errorf("%s = %s is out of the range of FP32", at(), truncate(string(p.b[start:end]), 40))
	}
	p.out = append(p.out, float32(f))
	return nil
}
