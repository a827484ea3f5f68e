package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/tensor"
)

// trainedCheckpoint trains an MLP with batch norm and dropout for one
// epoch with the named optimiser, checkpointing at its end, and returns
// the model, the optimiser and the checkpoint file's bytes.
func trainedCheckpoint(t testing.TB, optName string) (*nn.Sequential, optim.Optimizer, []byte) {
	t.Helper()
	dir := t.TempDir()
	m := build(t, mlpSpec(true, true), 3)
	opt, err := optim.ByName(optName, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Epochs: 1, Optimizer: opt, CheckpointDir: dir, Meta: json.RawMessage(`{"flags":1}`),
		Callbacks: []Callback{&EarlyStopping{Patience: 3}}}
	if _, err := Fit(context.Background(), m, loader(t, synthetic(200, 1), 50, 2), synthetic(50, 2), cfg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return m, opt, b
}

// reseal decodes a checkpoint, lets edit change its tensors and metadata
// and encodes it again with a checksum that fits, so tests reach the
// checks behind the checksum.
func reseal(t testing.TB, good []byte, edit func(ts []*nn.Param, md map[string]string) []*nn.Param) []byte {
	t.Helper()
	ts, md, err := nn.DecodeTensors(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	ts = edit(ts, md)
	md[keyCRC] = fmt.Sprintf("%08x", checksum(ts, md))
	var b bytes.Buffer
	if err := nn.EncodeTensors(&b, ts, md); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// unsealed is reseal without the new checksum.
func unsealed(t testing.TB, good []byte, edit func(md map[string]string)) []byte {
	t.Helper()
	ts, md, err := nn.DecodeTensors(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	edit(md)
	var b bytes.Buffer
	if err := nn.EncodeTensors(&b, ts, md); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCheckpointIsSafetensors reads a checkpoint with nn's generic reader
// and checks what it holds: the model's tensors under their names, Adam's
// moments as optim.<param>.m and .v in their parameter's shape, the run's
// position and state in the metadata.
func TestCheckpointIsSafetensors(t *testing.T) {
	m, opt, b := trainedCheckpoint(t, "adam")
	ts, md, err := nn.DecodeTensors(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*nn.Param{}
	for _, p := range ts {
		got[p.Name] = p
	}
	want := map[string]*tensor.Tensor{}
	for _, p := range m.Tensors() {
		want[p.Name] = p.Value
	}
	st := opt.State()
	for pi, p := range st.Params {
		for si, slot := range st.Slots {
			want["optim."+p.Name+"."+slot] = tensor.FromSlice(st.Moments[si][pi], want[p.Name].Shape...)
		}
	}
	if len(st.Slots) != 2 || len(got) != len(want) || len(want) != len(m.Tensors())+2*len(m.Params()) {
		t.Fatalf("checkpoint holds %d tensors, want %d (slots %v)", len(got), len(want), st.Slots)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Fatalf("no tensor %q in the checkpoint", name)
		}
		if !slices.Equal(g.Value.Shape, w.Shape) || !sameBits(g.Value.Data, w.Data) {
			t.Errorf("tensor %q: %v %v...; want %v %v...", name, g.Value.Shape, g.Value.Data[:1], w.Shape, w.Data[:1])
		}
	}
	for k, v := range map[string]string{keyFormat: "2", keyEpoch: "2", keyBatch: "0", keyStep: "4", keyMeta: `{"flags":1}`} {
		if md[k] != v {
			t.Errorf("metadata %s = %q; want %q", k, md[k], v)
		}
	}
	var ost optim.State
	if err := json.Unmarshal([]byte(md[keyOptimizer]), &ost); err != nil || ost.Kind != "adam" || ost.Steps != 4 || ost.Hyper["beta2"] != 0.999 {
		t.Errorf("metadata %s = %s (%v)", keyOptimizer, md[keyOptimizer], err)
	}
	for _, k := range []string{keyHistory, keyCallbacks, keyRNG, keyProgress, keyLR, keyCreated, keyCRC} {
		if md[k] == "" {
			t.Errorf("metadata has no %s", k)
		}
	}
	if !strings.Contains(md[keyCallbacks], `"early_stopping"`) {
		t.Errorf("callbacks %s; want early_stopping's state", md[keyCallbacks])
	}
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// pythonNumPy returns /usr/bin/python3 (or python3 on PATH) when it can
// import NumPy, or skips the test.
func pythonNumPy(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/python3", "python3"} {
		if py, err := exec.LookPath(name); err == nil && exec.Command(py, "-c", "import numpy").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with NumPy (on Debian: apt-get install python3-numpy)")
	return ""
}

// checkpointScript prints what nn/testdata/safetensors_reader.py (the
// NumPy-only reader nn's tests use on model files) reads from a
// checkpoint: each tensor's shape and float32 bits, and the metadata.
const checkpointScript = `
import json, sys
sys.path.insert(0, sys.argv[2])
from safetensors_reader import read
ts, meta = read(sys.argv[1])
print(json.dumps({"tensors": {k: {"shape": list(v.shape), "bits": v.view("<u4").ravel().tolist()} for k, v in ts.items()},
                  "meta": meta}))
`

// TestPythonReadsCheckpoint checks that a checkpoint is a safetensors file
// an outside reader opens, and that the tensors it reads are the model's
// and the optimiser's, bit for bit.
func TestPythonReadsCheckpoint(t *testing.T) {
	py := pythonNumPy(t)
	for _, name := range []string{"adam", "momentum", "sgd"} {
		t.Run(name, func(t *testing.T) {
			m, opt, b := trainedCheckpoint(t, name)
			dir := t.TempDir()
			path := filepath.Join(dir, CheckpointFile)
			script := filepath.Join(dir, "read.py")
			os.WriteFile(path, b, 0o644)
			os.WriteFile(script, []byte(strings.TrimSpace(checkpointScript)+"\n"), 0o644)
			reader, err := filepath.Abs(filepath.Join("..", "nn", "testdata"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, script, path, reader).CombinedOutput()
			if err != nil {
				t.Fatalf("python reader: %v\n%s", err, out)
			}
			var res struct {
				Tensors map[string]struct {
					Shape []int    `json:"shape"`
					Bits  []uint32 `json:"bits"`
				} `json:"tensors"`
				Meta map[string]string `json:"meta"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("python output %.200q: %v", out, err)
			}
			check := func(name string, shape []int, data []float32) {
				t.Helper()
				g, ok := res.Tensors[name]
				if !ok {
					t.Fatalf("python found no tensor %q", name)
				}
				bits := make([]uint32, len(data))
				for i, v := range data {
					bits[i] = math.Float32bits(v)
				}
				if !slices.Equal(g.Shape, shape) || !slices.Equal(g.Bits, bits) {
					t.Errorf("tensor %q: python read shape %v and other values than rakam's %v", name, g.Shape, shape)
				}
				delete(res.Tensors, name)
			}
			shapes := map[string][]int{}
			for _, p := range m.Tensors() {
				check(p.Name, p.Value.Shape, p.Value.Data)
				shapes[p.Name] = p.Value.Shape
			}
			st := opt.State()
			for pi, p := range st.Params {
				for si, slot := range st.Slots {
					check("optim."+p.Name+"."+slot, shapes[p.Name], st.Moments[si][pi])
				}
			}
			if len(res.Tensors) > 0 || (name != "sgd") != (len(st.Slots) > 0) {
				t.Errorf("python read tensors rakam does not have: %v (slots %v)", res.Tensors, st.Slots)
			}
			var ost optim.State
			if err := json.Unmarshal([]byte(res.Meta[keyOptimizer]), &ost); err != nil || ost.Kind != name || ost.Steps != 4 {
				t.Errorf("python read optimizer %q (%v); want kind %s, 4 steps", res.Meta[keyOptimizer], err, name)
			}
			if res.Meta[keyFormat] != "2" || res.Meta[keyStep] != "4" {
				t.Errorf("python read format %q, step %q; want 2, 4", res.Meta[keyFormat], res.Meta[keyStep])
			}
		})
	}
}

// oldCheckpoint is the start of a format-1 checkpoint as rakam wrote it
// before checkpoints became safetensors files.
func oldCheckpoint(magic string) []byte {
	hdr := []byte(`{"format":1,"epoch":0,"batch":3,"step":3,"tensors":[],"optimizer":"adam"}`)
	b := append([]byte(magic), binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))...)
	return append(append(b, hdr...), 0, 0, 0, 0)
}

// TestOldCheckpoint: a checkpoint of the old binary format, in a file or
// as the checkpoint.rkc of a directory, is refused with an error saying
// the format changed and to restart.
func TestOldCheckpoint(t *testing.T) {
	for _, magic := range []string{"RKCKPT01", "RKMOPT01"} {
		_, err := ParseCheckpoint(oldCheckpoint(magic))
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), magic) || !strings.Contains(err.Error(), "older rakam") ||
			!strings.Contains(err.Error(), "restart training") {
			t.Errorf("ParseCheckpoint(%s) = %v; want ErrCheckpoint saying the format changed and to restart", magic, err)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "checkpoint.rkc"), oldCheckpoint("RKCKPT01"), 0o644)
	_, err := LoadCheckpoint(dir)
	if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), filepath.Join(dir, "checkpoint.rkc")) || !strings.Contains(err.Error(), "restart training") {
		t.Errorf("LoadCheckpoint(dir with checkpoint.rkc) = %v; want the old file named and restart", err)
	}
	// A new checkpoint next to an old one is the one read.
	_, _, good := trainedCheckpoint(t, "sgd")
	os.WriteFile(filepath.Join(dir, CheckpointFile), good, 0o644)
	if ck, err := LoadCheckpoint(dir); err != nil || ck.Path != filepath.Join(dir, CheckpointFile) {
		t.Errorf("LoadCheckpoint(dir with both) = %v; want %s", err, CheckpointFile)
	}
}

func TestCheckpointCorrupt(t *testing.T) {
	_, _, good := trainedCheckpoint(t, "adam")
	if _, err := ParseCheckpoint(good); err != nil {
		t.Fatalf("ParseCheckpoint(good) = %v", err)
	}
	flip := slices.Clone(good)
	flip[len(flip)-10] ^= 1
	// One digit of the step in the metadata: the header still parses.
	i := bytes.Index(good, []byte(`"rakam.checkpoint.step":"4"`))
	if i < 0 {
		t.Fatal("no step in the header")
	}
	metaFlip := slices.Clone(good)
	metaFlip[i+len(`"rakam.checkpoint.step":"`)] = '5'
	var model bytes.Buffer
	m := build(t, mlpSpec(false, false), 1)
	if err := nn.Encode(&model, m, nil); err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	nn.EncodeTensors(&plain, m.Tensors(), map[string]string{"step": "1"})
	edit := func(f func(md map[string]string)) []byte {
		return reseal(t, good, func(ts []*nn.Param, md map[string]string) []*nn.Param { f(md); return ts })
	}
	dropTensor := func(name string) []byte {
		return reseal(t, good, func(ts []*nn.Param, md map[string]string) []*nn.Param {
			return slices.DeleteFunc(ts, func(p *nn.Param) bool { return p.Name == name })
		})
	}
	renameTensor := func(from, to string) []byte {
		return reseal(t, good, func(ts []*nn.Param, md map[string]string) []*nn.Param {
			for _, p := range ts {
				if p.Name == from {
					p.Name = to
				}
			}
			return ts
		})
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "8-byte header length"},
		{"truncated", good[:len(good)-100], "file truncated?"},
		{"bit flip", flip, "checksum"},
		{"metadata digit", metaFlip, "checksum"},
		{"huge header", append([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, good[8:]...), "header length"},
		{"a model", model.Bytes(), `a model file (it has "rakam.spec"), not a rakam checkpoint`},
		{"other safetensors", plain.Bytes(), `no "rakam.checkpoint.format" in the metadata: not a rakam checkpoint`},
		{"format", edit(func(md map[string]string) { md[keyFormat] = "3" }), `format "3"; this rakam reads format "2"`},
		{"crc digits", unsealed(t, good, func(md map[string]string) { md[keyCRC] = "xyz" }), `rakam.checkpoint.crc32c "xyz": want 8 hex digits`},
		{"no crc", unsealed(t, good, func(md map[string]string) { delete(md, keyCRC) }), `rakam.checkpoint.crc32c "": want 8 hex digits`},
		{"unknown key", edit(func(md map[string]string) { md["rakam.checkpoint.extra"] = "1" }), `unknown metadata key "rakam.checkpoint.extra"`},
		{"no history", edit(func(md map[string]string) { delete(md, keyHistory) }), `no "rakam.checkpoint.history"`},
		{"epoch 0", edit(func(md map[string]string) { md[keyEpoch] = "0" }), "position epoch 0"},
		{"step", edit(func(md map[string]string) { md[keyStep] = "-1" }), `rakam.checkpoint.step "-1": want an integer ≥ 0`},
		{"batch", edit(func(md map[string]string) { md[keyBatch] = "1.5" }), `rakam.checkpoint.batch "1.5"`},
		{"progress", edit(func(md map[string]string) { md[keyProgress] = `{"correct":5,"seen":4}` }), "correct 5 outliers 0 out of range"},
		{"unknown field", edit(func(md map[string]string) { md[keyLR] = `{"lr_scale":1,"max_lr":2}` }), `unknown field "max_lr"`},
		{"bad JSON", edit(func(md map[string]string) { md[keyHistory] = `{"epochs":[` }), "rakam.checkpoint.history: unexpected EOF"},
		{"two values", edit(func(md map[string]string) { md[keyLR] = `{} {}` }), "data after the JSON value"},
		{"meta", edit(func(md map[string]string) { md[keyMeta] = `{` }), "rakam.checkpoint.meta is not valid JSON"},
		{"moment missing", dropTensor("optim.layers.0.weight.v"), `tensor "optim.layers.0.weight.v" of the optimizer state is missing`},
		{"stray moment", renameTensor("optim.layers.0.bias.m", "optim.layers.0.bias.x"), `"optim.layers.0.bias.m" of the optimizer state is missing`},
		{"extra optim tensor", reseal(t, good, func(ts []*nn.Param, md map[string]string) []*nn.Param {
			return append(ts, &nn.Param{Name: "optim.extra", Value: tensor.New(2)})
		}), `tensor "optim.extra" is not part of the optimizer state`},
		{"moment size", reseal(t, good, func(ts []*nn.Param, md map[string]string) []*nn.Param {
			for i, p := range ts {
				if p.Name == "optim.layers.0.bias.m" {
					ts[i] = &nn.Param{Name: p.Name, Value: tensor.New(3)}
				}
			}
			return ts
		}), `tensor "optim.layers.0.bias.m" has 3 values; parameter layers.0.bias has 32`},
	}
	for _, tc := range tests {
		_, err := ParseCheckpoint(tc.data)
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "train: invalid checkpoint: ") {
			t.Errorf("%s: ParseCheckpoint = %v; want ErrCheckpoint containing %q", tc.name, err, tc.want)
		}
	}

	// Checkpoints that parse but do not fit the run are refused by restore.
	restore := func(b []byte, spec nn.Spec, optName string) error {
		ck, err := ParseCheckpoint(b)
		if err != nil {
			return err
		}
		m := build(t, spec, 1)
		opt, _ := optim.ByName(optName, 0.01)
		return ck.restore(newTrainer(m, &Config{Optimizer: opt}, 0), &Run{LRScale: 1}, nil)
	}
	fits := []struct {
		name string
		data []byte
		spec nn.Spec
		opt  string
		want string
	}{
		{"good", good, mlpSpec(true, true), "adam", ""},
		{"other model", good, mlpSpec(false, true), "adam", "different model"},
		{"other optimizer", good, mlpSpec(true, true), "sgd", "was trained with adam, not sgd"},
		{"model tensor missing", dropTensor("layers.1.gamma"), mlpSpec(true, true), "adam", "holds 7 model tensors; the model has 8"},
		{"model tensor renamed", renameTensor("layers.1.gamma", "layers.1.gama"), mlpSpec(true, true), "adam", "has no tensor layers.1.gamma"},
		{"rng", edit(func(md map[string]string) { delete(md, keyRNG) }), mlpSpec(true, true), "adam", "holds 0 random-number states; the model has 1 random layers"},
		{"optimizer parameters", edit(func(md map[string]string) {
			var st optim.State
			json.Unmarshal([]byte(md[keyOptimizer]), &st)
			slices.Reverse(st.Params)
			b, _ := json.Marshal(st)
			md[keyOptimizer] = string(b)
		}), mlpSpec(true, true), "adam", "optimizer parameter 0 is layers.4.bias (10 values); the model's is layers.0.weight (25088 values) (different model?)"},
		{"optimizer state", edit(func(md map[string]string) {
			md[keyOptimizer] = strings.Replace(md[keyOptimizer], `"beta1":0.9`, `"beta1":1.5`, 1)
		}), mlpSpec(true, true), "adam", "betas (1.5, 0.999)"},
	}
	for _, tc := range fits {
		err := restore(tc.data, tc.spec, tc.opt)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: restore = %v; want an error containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadCheckpoint(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("LoadCheckpoint(missing) = %v", err)
	}
}

// tinySpec keeps fuzz inputs small (a checkpoint of about 1 KB).
var tinySpec = nn.Spec{Input: []int{4}, Layers: []nn.LayerSpec{
	{Kind: "Dense", Units: 3}, {Kind: "BatchNorm"}, {Kind: "Dropout", Rate: 0.5}, {Kind: "Dense", Units: 10}}}

// FuzzParseCheckpoint parses any bytes as a checkpoint, and the same
// bytes resealed with a checksum that fits when they are a safetensors
// file (so the fuzzer reaches the checks behind the checksum). Whatever
// parses must restore into the model or fail cleanly.
func FuzzParseCheckpoint(f *testing.F) {
	dir := f.TempDir()
	m, _ := nn.Build(tinySpec, 1)
	opt, _ := optim.ByName("adam", 0.01)
	tr := newTrainer(m, &Config{Optimizer: opt}, 0)
	opt.Step(tr.params) // bind the parameters: the seed holds moment tensors
	writeCheckpoint(dir, tr, &Run{Model: m, Optimizer: opt, History: &History{}, LRScale: 1}, nil, nil)
	good, _ := os.ReadFile(filepath.Join(dir, CheckpointFile))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(oldCheckpoint("RKCKPT01"))
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		inputs := [][]byte{b}
		if ts, md, err := nn.DecodeTensors(bytes.NewReader(b), int64(len(b))); err == nil {
			md[keyCRC] = fmt.Sprintf("%08x", checksum(ts, md))
			var sealed bytes.Buffer
			if nn.EncodeTensors(&sealed, ts, md) == nil {
				inputs = append(inputs, sealed.Bytes())
			}
		}
		for _, in := range inputs {
			c, err := ParseCheckpoint(in)
			if err != nil {
				if !errors.Is(err, ErrCheckpoint) {
					t.Fatalf("ParseCheckpoint error %v does not wrap ErrCheckpoint", err)
				}
				continue
			}
			m, _ := nn.Build(tinySpec, 1)
			opt, _ := optim.ByName("adam", 0.01)
			_ = c.restore(newTrainer(m, &Config{Optimizer: opt}, 0), &Run{LRScale: 1}, nil)
		}
	})
}
