//go:build amd64 && !purego

package gemm

// An interpreter for the small part of amd64 that the generated
// micro-kernels use, so that the AVX-512 kernel, which this project's
// machine cannot run, is still executed by tests: instruction by
// instruction from the text of kernel_amd64.s, on real Go memory, with
// every load and store checked against the slices the kernel was given.
// The interpreter is itself checked against the CPU: it runs the AVX2
// kernel too, and must give the CPU's bits (TestEmulatorMatchesCPU; for
// the zero-skipping kernel, TestEmulatedSkipKernels).
//
// What it cannot check is the assembler's encoding of the text; that is the
// Go assembler's (and avo's) job, and the AVX2 kernel, encoded by the same
// tools from the same template, runs on the CPU in every other test.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// emuOperand is one operand of an instruction, in Go assembler syntax.
type emuOperand struct {
	kind  byte // 'r' general register, 'v' vector register, 'i' immediate, 'm' memory, 'f' argument frame, 'l' label
	reg   int  // register number ('r', 'v'), base register ('m')
	lanes int  // float32 lanes of a vector register: 4 (X), 8 (Y), 16 (Z)
	idx   int  // index register of a memory operand, -1 for none
	scale int
	off   int64 // displacement ('m', 'f') or immediate value ('i')
	label string
}

type emuInsn struct {
	op   string
	args []emuOperand
	line int
}

// emuProgram is one TEXT function of kernel_amd64.s.
type emuProgram struct {
	name   string
	insns  []emuInsn
	labels map[string]int
}

var gpRegs = map[string]int{"AX": 0, "CX": 1, "DX": 2, "BX": 3, "SP": 4, "BP": 5, "SI": 6, "DI": 7,
	"R8": 8, "R9": 9, "R10": 10, "R11": 11, "R12": 12, "R13": 13, "R14": 14, "R15": 15}

var (
	emuMemRe   = regexp.MustCompile(`^(-?\d+)?\((\w+)\)(?:\((\w+)\*(\d)\))?$`)
	emuFrameRe = regexp.MustCompile(`^\w+\+(\d+)\(FP\)$`)
	emuVecRe   = regexp.MustCompile(`^([XYZ])(\d+)$`)
	emuLabelRe = regexp.MustCompile(`^\w+$`)
)

func parseEmuOperand(s string) (emuOperand, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "$") {
		v, err := strconv.ParseInt(s[1:], 0, 64)
		return emuOperand{kind: 'i', off: v}, err
	}
	if r, ok := gpRegs[s]; ok {
		return emuOperand{kind: 'r', reg: r}, nil
	}
	if m := emuVecRe.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		return emuOperand{kind: 'v', reg: n, lanes: map[string]int{"X": 4, "Y": 8, "Z": 16}[m[1]]}, nil
	}
	if m := emuFrameRe.FindStringSubmatch(s); m != nil {
		off, _ := strconv.ParseInt(m[1], 10, 64)
		return emuOperand{kind: 'f', off: off}, nil
	}
	if m := emuMemRe.FindStringSubmatch(s); m != nil {
		o := emuOperand{kind: 'm', idx: -1}
		if m[1] != "" {
			o.off, _ = strconv.ParseInt(m[1], 10, 64)
		}
		base, ok := gpRegs[m[2]]
		if !ok {
			return o, fmt.Errorf("base register %q", m[2])
		}
		o.reg = base
		if m[3] != "" {
			if o.idx, ok = gpRegs[m[3]]; !ok {
				return o, fmt.Errorf("index register %q", m[3])
			}
			o.scale, _ = strconv.Atoi(m[4])
		}
		return o, nil
	}
	if emuLabelRe.MatchString(s) {
		return emuOperand{kind: 'l', label: s}, nil
	}
	return emuOperand{}, fmt.Errorf("operand %q", s)
}

var (
	emuOnce  sync.Once
	emuProgs map[string]*emuProgram
	emuErr   error
)

// loadEmuPrograms parses every TEXT function of kernel_amd64.s.
func loadEmuPrograms() (map[string]*emuProgram, error) {
	emuOnce.Do(func() {
		src, err := os.ReadFile("kernel_amd64.s")
		if err != nil {
			emuErr = err
			return
		}
		emuProgs = map[string]*emuProgram{}
		var p *emuProgram
		for i, line := range strings.Split(string(src), "\n") {
			if j := strings.Index(line, "//"); j >= 0 {
				line = line[:j]
			}
			line = strings.TrimSpace(line)
			switch {
			case line == "" || strings.HasPrefix(line, "#"):
				continue
			case strings.HasPrefix(line, "TEXT "):
				name := strings.TrimSuffix(strings.TrimPrefix(strings.Fields(line)[1], "·"), "(SB),")
				p = &emuProgram{name: name, labels: map[string]int{}}
				emuProgs[name] = p
				continue
			case p == nil:
				continue
			case strings.HasSuffix(line, ":"):
				p.labels[strings.TrimSuffix(line, ":")] = len(p.insns)
				continue
			}
			f := strings.SplitN(line, " ", 2)
			in := emuInsn{op: f[0], line: i + 1}
			if len(f) == 2 {
				for _, s := range strings.Split(f[1], ",") {
					o, err := parseEmuOperand(s)
					if err != nil {
						emuErr = fmt.Errorf("kernel_amd64.s:%d: %v", i+1, err)
						return
					}
					in.args = append(in.args, o)
				}
			}
			p.insns = append(p.insns, in)
		}
	})
	return emuProgs, emuErr
}

// emuRegion is a slice the kernel was given: the only memory it may touch.
type emuRegion struct {
	name string
	base uintptr
	data []uint32
}

// emuMachine is the state of one call.
type emuMachine struct {
	prog    *emuProgram
	gp      [16]uint64
	vec     [32][16]uint32
	zf      bool
	frame   []byte
	regions []emuRegion
	// touched records, per region name, the word indexes loaded and stored.
	loads, stores map[string]map[int]bool
}

func (m *emuMachine) word(addr uint64, write bool) (*uint32, error) {
	for _, r := range m.regions {
		if addr < uint64(r.base) {
			continue
		}
		off := addr - uint64(r.base)
		if off%4 != 0 {
			return nil, fmt.Errorf("unaligned float address %#x in %s", addr, r.name)
		}
		if i := int(off / 4); i < len(r.data) {
			rec := m.loads
			if write {
				rec = m.stores
			}
			if rec[r.name] == nil {
				rec[r.name] = map[int]bool{}
			}
			rec[r.name][i] = true
			return &r.data[i], nil
		}
	}
	return nil, fmt.Errorf("address %#x is outside every slice the kernel was given", addr)
}

func (m *emuMachine) addr(o emuOperand) uint64 {
	a := m.gp[o.reg] + uint64(o.off)
	if o.idx >= 0 {
		a += m.gp[o.idx] * uint64(o.scale)
	}
	return a
}

// load reads n float32 bit patterns from a memory or frame operand.
func (m *emuMachine) load(o emuOperand, n int) ([]uint32, error) {
	out := make([]uint32, n)
	for i := range out {
		switch o.kind {
		case 'f':
			at := int(o.off) + 4*i
			if at+4 > len(m.frame) {
				return nil, fmt.Errorf("argument offset %d past the frame", at)
			}
			out[i] = binary.LittleEndian.Uint32(m.frame[at:])
		case 'm':
			w, err := m.word(m.addr(o)+uint64(4*i), false)
			if err != nil {
				return nil, err
			}
			out[i] = *w
		default:
			return nil, fmt.Errorf("operand kind %c is not memory", o.kind)
		}
	}
	return out, nil
}

// vsrc returns the lanes of a vector register or memory operand.
func (m *emuMachine) vsrc(o emuOperand, lanes int) ([]uint32, error) {
	if o.kind == 'v' {
		return m.vec[o.reg][:lanes], nil
	}
	return m.load(o, lanes)
}

// vset writes lanes to a vector register; VEX and EVEX instructions zero
// the lanes above their width.
func (m *emuMachine) vset(o emuOperand, v []uint32) {
	var r [16]uint32
	copy(r[:], v)
	m.vec[o.reg] = r
}

func (m *emuMachine) gpSrc(o emuOperand, size int) (uint64, error) {
	switch o.kind {
	case 'r':
		return m.gp[o.reg], nil
	case 'i':
		return uint64(o.off), nil
	case 'f':
		if int(o.off)+size > len(m.frame) {
			return 0, fmt.Errorf("argument offset %d past the frame", o.off)
		}
		if size == 4 {
			return uint64(binary.LittleEndian.Uint32(m.frame[o.off:])), nil
		}
		return binary.LittleEndian.Uint64(m.frame[o.off:]), nil
	}
	return 0, fmt.Errorf("operand kind %c as integer source", o.kind)
}

func f32(u uint32) float32 { return math.Float32frombits(u) }

// run executes the program until RET.
func (m *emuMachine) run() error {
	p := m.prog
	for pc, steps := 0, 0; ; steps++ {
		if pc < 0 || pc >= len(p.insns) {
			return fmt.Errorf("%s: ran off the end of the function", p.name)
		}
		if steps > 50_000_000 {
			return fmt.Errorf("%s: no RET after %d instructions", p.name, steps)
		}
		in := p.insns[pc]
		pc++
		err := m.step(in, &pc)
		if err == errEmuRet {
			return nil
		}
		if err != nil {
			return fmt.Errorf("kernel_amd64.s:%d %s: %v", in.line, in.op, err)
		}
	}
}

var errEmuRet = fmt.Errorf("RET")

func (m *emuMachine) step(in emuInsn, pc *int) error {
	a := in.args
	want := func(n int) error {
		if len(a) != n {
			return fmt.Errorf("%d operands; want %d", len(a), n)
		}
		return nil
	}
	setGP := func(o emuOperand, v uint64) error {
		if o.kind != 'r' {
			return fmt.Errorf("destination is not a general register")
		}
		m.gp[o.reg] = v
		return nil
	}
	switch in.op {
	case "RET":
		return errEmuRet
	case "VZEROUPPER":
		for i := 0; i < 16; i++ {
			clear(m.vec[i][4:])
		}
		return nil
	case "JZ", "JNZ":
		if err := want(1); err != nil {
			return err
		}
		t, ok := m.prog.labels[a[0].label]
		if !ok {
			return fmt.Errorf("no label %q", a[0].label)
		}
		if (in.op == "JZ") == m.zf {
			*pc = t
		}
		return nil
	case "PREFETCHT0":
		return want(1) // a hint: it may name any address
	case "MOVQ", "MOVL":
		if err := want(2); err != nil {
			return err
		}
		size := 8
		if in.op == "MOVL" {
			size = 4
		}
		v, err := m.gpSrc(a[0], size)
		if err != nil {
			return err
		}
		if size == 4 {
			v = uint64(uint32(v))
		}
		return setGP(a[1], v)
	case "MOVLQSX":
		// A 32-bit load (a listed step), sign-extended.
		if err := want(2); err != nil {
			return err
		}
		if a[0].kind != 'm' {
			return fmt.Errorf("MOVLQSX from a non-memory operand")
		}
		v, err := m.load(a[0], 1)
		if err != nil {
			return err
		}
		return setGP(a[1], uint64(int64(int32(v[0]))))
	case "LEAQ":
		if err := want(2); err != nil {
			return err
		}
		if a[0].kind != 'm' {
			return fmt.Errorf("LEAQ from a non-memory operand")
		}
		return setGP(a[1], m.addr(a[0]))
	case "ADDQ", "ANDQ", "SHLQ", "SHRQ", "SHLL", "DECQ":
		var src uint64
		dst := a[len(a)-1]
		if dst.kind != 'r' {
			return fmt.Errorf("destination is not a general register")
		}
		if len(a) == 2 {
			var err error
			if src, err = m.gpSrc(a[0], 8); err != nil {
				return err
			}
		} else if err := want(1); err != nil {
			return err
		}
		d := m.gp[dst.reg]
		var r uint64
		switch in.op {
		case "ADDQ":
			r = d + src
		case "ANDQ":
			r = d & src
		case "SHLQ":
			r = d << (src & 63)
		case "SHRQ":
			r = d >> (src & 63)
		case "SHLL":
			r = uint64(uint32(d) << (src & 31))
			m.zf = uint32(r) == 0
			m.gp[dst.reg] = r
			return nil
		case "DECQ":
			r = d - 1
		}
		m.zf = r == 0
		m.gp[dst.reg] = r
		return nil
	case "VMOVUPS":
		if err := want(2); err != nil {
			return err
		}
		if a[1].kind == 'v' {
			v, err := m.vsrc(a[0], a[1].lanes)
			if err != nil {
				return err
			}
			m.vset(a[1], v)
			return nil
		}
		if a[0].kind != 'v' || a[1].kind != 'm' {
			return fmt.Errorf("VMOVUPS between two memory operands")
		}
		for i, v := range m.vec[a[0].reg][:a[0].lanes] {
			w, err := m.word(m.addr(a[1])+uint64(4*i), true)
			if err != nil {
				return err
			}
			*w = v
		}
		return nil
	case "VBROADCASTSS":
		if err := want(2); err != nil {
			return err
		}
		v, err := m.load(a[0], 1)
		if err != nil {
			return err
		}
		r := make([]uint32, a[1].lanes)
		for i := range r {
			r[i] = v[0]
		}
		m.vset(a[1], r)
		return nil
	case "VPXORD", "VXORPS", "VMULPS", "VFMADD231PS":
		// Go order: source 2 (register or memory), source 1, destination.
		if err := want(3); err != nil {
			return err
		}
		n := a[2].lanes
		x, err := m.vsrc(a[0], n)
		if err != nil {
			return err
		}
		y := m.vec[a[1].reg][:n]
		d := m.vec[a[2].reg][:n]
		r := make([]uint32, n)
		for i := range r {
			switch in.op {
			case "VMULPS":
				r[i] = math.Float32bits(f32(y[i]) * f32(x[i]))
			case "VFMADD231PS":
				r[i] = math.Float32bits(fma32(f32(y[i]), f32(x[i]), f32(d[i])))
			default:
				r[i] = x[i] ^ y[i]
			}
		}
		m.vset(a[2], r)
		return nil
	}
	return fmt.Errorf("instruction not emulated")
}

// emuKernelCall runs a micro-kernel with the kernelFunc signature in the
// interpreter and reports which words of a, b and c it loaded and stored.
func emuKernelCall(name string, kc int, a, b, c []float32, ldc int, alpha, beta float32) (loads, stores map[string]map[int]bool, err error) {
	return emuCall(name, []int64{int64(kc)}, []emuArg{{"a", f32words(a)}, {"b", f32words(b)}, {"c", f32words(c)}}, ldc, alpha, beta)
}

// emuTilesCall runs a micro-kernel with the tilesFunc signature in the
// interpreter and reports which words of a, b and c it loaded and stored.
func emuTilesCall(name string, kc int, a, b, c []float32, ldc int, alpha, beta float32, tiles int) (loads, stores map[string]map[int]bool, err error) {
	return emuCall(name, []int64{int64(kc)}, []emuArg{{"a", f32words(a)}, {"b", f32words(b)}, {"c", f32words(c)}}, ldc, alpha, beta, int64(tiles))
}

// emuSkipCall runs a zero-skipping micro-kernel (the skipFunc signature)
// in the interpreter and reports which words of steps, a, b and c it loaded
// and stored.
func emuSkipCall(name string, steps []int32, a, b, c []float32, ldc int, alpha, beta float32) (loads, stores map[string]map[int]bool, err error) {
	var words []uint32
	if len(steps) > 0 {
		words = unsafe.Slice((*uint32)(unsafe.Pointer(&steps[0])), len(steps))
	}
	return emuCall(name, nil, []emuArg{{"steps", words}, {"a", f32words(a)}, {"b", f32words(b)}, {"c", f32words(c)}}, ldc, alpha, beta)
}

func f32words(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// emuArg is a slice argument of a kernel: a region it may read and write.
type emuArg struct {
	name  string
	words []uint32
}

// emuCall runs the TEXT function name with the given leading integer
// arguments, slices, ldc, alpha, beta and trailing integer arguments (the
// kernels' frames).
func emuCall(name string, ints []int64, slices []emuArg, ldc int, alpha, beta float32, tail ...int64) (loads, stores map[string]map[int]bool, err error) {
	progs, err := loadEmuPrograms()
	if err != nil {
		return nil, nil, err
	}
	p := progs[name]
	if p == nil {
		return nil, nil, fmt.Errorf("no TEXT %s in kernel_amd64.s", name)
	}
	var fr bytes.Buffer
	put := func(v any) { binary.Write(&fr, binary.LittleEndian, v) }
	for _, v := range ints {
		put(v)
	}
	m := &emuMachine{prog: p, loads: map[string]map[int]bool{}, stores: map[string]map[int]bool{}}
	for _, s := range slices {
		var ptr uint64
		if len(s.words) > 0 {
			ptr = uint64(uintptr(unsafe.Pointer(&s.words[0])))
			m.regions = append(m.regions, emuRegion{s.name, uintptr(ptr), s.words})
		}
		put(ptr)
		put(int64(len(s.words)))
		put(int64(cap(s.words)))
	}
	put(int64(ldc))
	put(alpha)
	put(beta)
	for _, v := range tail {
		put(v)
	}
	m.frame = fr.Bytes()
	err = m.run()
	return m.loads, m.stores, err
}

// emuTiles returns the tiles kernel text run in the interpreter.
func emuTiles(text string, report func(error)) tilesFunc {
	return func(kc int, a, b, c []float32, ldc int, alpha, beta float32, tiles int) {
		if _, _, err := emuTilesCall(text, kc, a, b, c, ldc, alpha, beta, tiles); err != nil {
			report(err)
		}
	}
}

// emulated returns a copy of kern whose micro-kernel (its tiles variant,
// named "tiles"+name, its edge kernels and their tiles variants, and its
// zero-skipping variant, skipText, when not "")
// runs in the interpreter from the TEXT functions named; an error fails the
// test through report.
func emulated(kern *kernel, name, skipText string, report func(error)) *kernel {
	k := *kern
	k.name += "-emulated"
	k.fn = func(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
		if _, _, err := emuKernelCall(name, kc, a, b, c, ldc, alpha, beta); err != nil {
			report(err)
		}
	}
	k.tiles = nil
	if kern.tiles != nil {
		k.tiles = emuTiles(tilesText(name), report)
	}
	k.edges = nil
	for _, e := range kern.edges {
		text := e.name
		k.edges = append(k.edges, edgeKernel{name: e.name, w: e.w, tiles: emuTiles(tilesText(text), report),
			fn: func(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
				if _, _, err := emuKernelCall(text, kc, a, b, c, ldc, alpha, beta); err != nil {
					report(err)
				}
			}})
	}
	k.skip = nil
	if skipText != "" {
		k.skip = func(steps []int32, a, b, c []float32, ldc int, alpha, beta float32) {
			if _, _, err := emuSkipCall(skipText, steps, a, b, c, ldc, alpha, beta); err != nil {
				report(err)
			}
		}
	}
	return &k
}
