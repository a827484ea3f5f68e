package optim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The state encoding, all integers little-endian:
//
//	magic   "RKMOPT01"
//	kind    string                 optimiser name ("sgd", "adam", ...)
//	steps   int64
//	lr      float64
//	nhyper  uint16, then nhyper × (name string, value float64)
//	nparam  uint32, then nparam × (name string, size uint32)
//	nslot   uint8,  then nslot  × (slot name string, then for each
//	        parameter size × float32)
//
// A string is a uint16 length followed by that many bytes. A state with no
// parameters bound (no Step yet) has nparam = 0 and nslot = 0.
const stateMagic = "RKMOPT01"

// ErrState is wrapped by every error decoding optimiser state.
var ErrState = errors.New("optim: invalid optimizer state")

type hyper struct {
	name string
	val  *float64
}

type stateCodec struct {
	kind  string
	steps *int64
	lr    *float64
	hyper []hyper
	names *[]string
	sizes *[]int
	slots []string       // slot names
	data  *[][][]float32 // data[slot][param]
}

func (c *stateCodec) marshal() ([]byte, error) {
	n := 8 + 2 + len(c.kind) + 16 + 2 + 4 + 1
	for _, h := range c.hyper {
		n += 2 + len(h.name) + 8
	}
	for i, name := range *c.names {
		n += 2 + len(name) + 4 + 4*(*c.sizes)[i]*len(c.slots)
	}
	for _, s := range c.slots {
		n += 2 + len(s)
	}
	b := make([]byte, 0, n)
	b = append(b, stateMagic...)
	b = appendString(b, c.kind)
	b = binary.LittleEndian.AppendUint64(b, uint64(*c.steps))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*c.lr))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(c.hyper)))
	for _, h := range c.hyper {
		b = appendString(b, h.name)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*h.val))
	}
	names, sizes := *c.names, *c.sizes
	b = binary.LittleEndian.AppendUint32(b, uint32(len(names)))
	for i, name := range names {
		if len(name) > math.MaxUint16 {
			return nil, fmt.Errorf("optim: parameter name of %d bytes is too long", len(name))
		}
		b = appendString(b, name)
		b = binary.LittleEndian.AppendUint32(b, uint32(sizes[i]))
	}
	slots := c.slots
	if len(names) == 0 {
		slots = nil
	}
	b = append(b, byte(len(slots)))
	for si, s := range slots {
		b = appendString(b, s)
		for pi := range names {
			for _, v := range (*c.data)[si][pi] {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
			}
		}
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: byte %d: %s", ErrState, r.off, fmt.Sprintf(format, a...))
	}
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.fail("truncated %s (need %d bytes, have %d)", what, n, len(r.b)-r.off)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8(what string) int {
	p := r.take(1, what)
	if p == nil {
		return 0
	}
	return int(p[0])
}

func (r *reader) u16(what string) int {
	p := r.take(2, what)
	if p == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint16(p))
}

func (r *reader) u32(what string) int {
	p := r.take(4, what)
	if p == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint32(p))
}

func (r *reader) u64(what string) uint64 {
	p := r.take(8, what)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

func (r *reader) str(what string) string {
	n := r.u16(what + " length")
	return string(r.take(n, what))
}

// unmarshal decodes data into the codec's targets. It fills them only when
// the whole input is valid.
func (c *stateCodec) unmarshal(data []byte) error {
	r := &reader{b: data}
	if string(r.take(len(stateMagic), "magic")) != stateMagic {
		if r.err != nil {
			return r.err
		}
		return fmt.Errorf("%w: bad magic (not a rakam optimizer state)", ErrState)
	}
	kind := r.str("kind")
	if r.err == nil && kind != c.kind {
		return fmt.Errorf("%w: state is for %q, not %q", ErrState, kind, c.kind)
	}
	steps := int64(r.u64("steps"))
	lr := math.Float64frombits(r.u64("learning rate"))
	if r.err == nil && (steps < 0 || !(lr > 0) || math.IsInf(lr, 0)) {
		r.fail("steps %d or learning rate %v out of range", steps, lr)
	}
	nh := r.u16("hyper-parameter count")
	if r.err == nil && nh != len(c.hyper) {
		r.fail("%d hyper-parameters; %s has %d", nh, c.kind, len(c.hyper))
	}
	vals := make([]float64, len(c.hyper))
	for i := 0; i < nh && r.err == nil; i++ {
		name := r.str("hyper-parameter name")
		if r.err == nil && name != c.hyper[i].name {
			r.fail("hyper-parameter %d is %q; want %q", i, name, c.hyper[i].name)
		}
		v := math.Float64frombits(r.u64("hyper-parameter " + name))
		if r.err == nil && (math.IsNaN(v) || math.IsInf(v, 0) || v < 0) {
			r.fail("hyper-parameter %s = %v", name, v)
		}
		vals[i] = v
	}
	np := r.u32("parameter count")
	if r.err == nil && np > maxStateParameters {
		r.fail("%d parameters is more than the limit %d", np, maxStateParameters)
	}
	if r.err == nil && np*6 > len(data)-r.off {
		r.fail("%d parameters cannot fit in %d bytes", np, len(data)-r.off)
	}
	var names []string
	var sizes []int
	total := 0
	if r.err == nil {
		names = make([]string, np)
		sizes = make([]int, np)
	}
	for i := 0; i < np && r.err == nil; i++ {
		names[i] = r.str("parameter name")
		sizes[i] = r.u32("parameter size")
		total += sizes[i]
	}
	ns := r.u8("slot count")
	if r.err == nil && np > 0 && ns != len(c.slots) {
		r.fail("%d moment slots; %s has %d", ns, c.kind, len(c.slots))
	}
	if r.err == nil && np == 0 && ns != 0 {
		r.fail("%d moment slots but no parameters", ns)
	}
	var slotData [][][]float32
	for si := 0; si < ns && r.err == nil; si++ {
		name := r.str("slot name")
		if r.err == nil && name != c.slots[si] {
			r.fail("slot %d is %q; want %q", si, name, c.slots[si])
		}
		if r.err == nil && total*4 > len(data)-r.off {
			r.fail("slot %s needs %d bytes, %d left", name, total*4, len(data)-r.off)
		}
		if r.err != nil {
			break
		}
		per := make([][]float32, np)
		for pi := range per {
			raw := r.take(4*sizes[pi], "slot values")
			v := make([]float32, sizes[pi])
			for j := range v {
				v[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			}
			per[pi] = v
		}
		slotData = append(slotData, per)
	}
	if r.err == nil && r.off != len(data) {
		r.fail("%d trailing bytes", len(data)-r.off)
	}
	if r.err != nil {
		return r.err
	}
	*c.steps, *c.lr = steps, lr
	for i, h := range c.hyper {
		*h.val = vals[i]
	}
	if np == 0 {
		*c.names, *c.sizes, *c.data = nil, nil, nil
	} else {
		*c.names, *c.sizes = names, sizes
		if len(c.slots) > 0 {
			*c.data = slotData
		} else {
			*c.data = nil
		}
	}
	return nil
}

func fmtState(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrState, fmt.Sprintf(format, a...))
}
