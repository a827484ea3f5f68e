package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/tensor"
)

var smallCNN = Spec{Input: []int{1, 6, 6}, Layers: []LayerSpec{
	{Kind: "Conv2D", Filters: 2, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"},
	{Kind: "MaxPool2D"}, {Kind: "Flatten"}, {Kind: "Dropout", Rate: 0.2},
	{Kind: "Dense", Units: 4}, {Kind: "BatchNorm"}, {Kind: "Dense", Units: 3},
}}

// trainedSmallCNN returns a small model whose BatchNorm running statistics
// have moved away from their initial values.
func trainedSmallCNN(t testing.TB, seed uint64) *Sequential {
	m, err := Build(smallCNN, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 9))
	m.Forward(randTensor(rng, 5, 36), true)
	return m
}

func encode(t testing.TB, m *Sequential, meta map[string]string) []byte {
	var b bytes.Buffer
	if err := Encode(&b, m, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := trainedSmallCNN(t, 1)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	meta := map[string]string{MetaVersion: "test", MetaMetrics: `{"test_accuracy":0.5}`}
	if err := Save(path, m, meta); err != nil {
		t.Fatal(err)
	}
	got, gotMeta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range meta {
		if gotMeta[k] != v {
			t.Errorf("metadata[%q] = %q; want %q", k, gotMeta[k], v)
		}
	}
	if gotMeta[MetaSpec] != string(smallCNN.JSON()) {
		t.Errorf("metadata[%q] = %s; want %s", MetaSpec, gotMeta[MetaSpec], smallCNN.JSON())
	}
	want, have := m.Tensors(), got.Tensors()
	for i := range want {
		if want[i].Name != have[i].Name || !same(want[i].Value.Data, have[i].Value.Data) {
			t.Errorf("tensor %d: loaded %s differs from saved %s", i, have[i].Name, want[i].Name)
		}
	}
	x := randTensor(rand.New(rand.NewPCG(4, 4)), 7, 36)
	if a, b := m.Forward(x, false), got.Forward(x, false); !same(a.Data, b.Data) {
		t.Errorf("loaded model output %v; saved model %v", b.Data[:3], a.Data[:3])
	}
}

func TestSaveDeterministic(t *testing.T) {
	dir := t.TempDir()
	meta := map[string]string{"b": "2", "a": "1", MetaVersion: "v"}
	var files [][]byte
	for i, seed := range []uint64{3, 3, 4} {
		path := filepath.Join(dir, string(rune('a'+i)))
		if err := Save(path, trainedSmallCNN(t, seed), meta); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("same seed saved twice: files differ")
	}
	if bytes.Equal(files[0], files[2]) {
		t.Error("different seeds: files identical")
	}
	if len(files[0])%4 != 0 || binary.LittleEndian.Uint64(files[0])%8 != 0 {
		t.Errorf("header length %d not padded to 8", binary.LittleEndian.Uint64(files[0]))
	}
}

func TestSaveRefusesNaN(t *testing.T) {
	m := trainedSmallCNN(t, 1)
	m.Layers[6].(*Dense).W.Value.Data[5] = float32(math.NaN())
	path := filepath.Join(t.TempDir(), "nan.safetensors")
	err := Save(path, m, nil)
	if err == nil || !strings.Contains(err.Error(), "layers.6.weight") {
		t.Fatalf("Save(NaN model) = %v; want an error naming layers.6.weight", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Save(NaN model) left a file: %v", err)
	}
	if err := Save(path, trainedSmallCNN(t, 1), map[string]string{MetaSpec: "x"}); err == nil {
		t.Errorf("Save with caller-set %q: no error", MetaSpec)
	}
}

// rawFile assembles a file from a header string and n data bytes.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestDecodeRejects(t *testing.T) {
	good := encode(t, trainedSmallCNN(t, 1), nil)
	hlen := binary.LittleEndian.Uint64(good)
	header := string(good[8 : 8+hlen])
	data := good[8+hlen:]
	spec := string(trainedSmallCNN(t, 1).Spec.JSON())
	specMeta := `"__metadata__":{"rakam.spec":` + jsonString(spec) + `}`

	otherSpec := smallCNN
	otherSpec.Layers = append([]LayerSpec(nil), smallCNN.Layers...)
	otherSpec.Layers[6].Units = 5
	other, _ := Build(otherSpec, 1)

	nanModel := trainedSmallCNN(t, 1)
	var nanFile bytes.Buffer
	EncodeTensors(&nanFile, nil, nil) // exercise the empty case
	nanFile.Reset()
	EncodeTensors(&nanFile, nanModel.Tensors(), map[string]string{MetaSpec: spec})
	nanBytes := nanFile.Bytes()
	nanHlen := binary.LittleEndian.Uint64(nanBytes)
	binary.LittleEndian.PutUint32(nanBytes[8+nanHlen+12:], math.Float32bits(float32(math.Inf(1))))

	huge := binary.LittleEndian.AppendUint64(nil, 200<<20)
	huge = append(huge, make([]byte, 16)...)

	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "8-byte header length"},
		{"seven bytes", good[:7], "8-byte header length"},
		{"huge header", huge, "exceeds the 104857600-byte limit"},
		{"header past end", good[:8+hlen-1], "runs past the end"},
		{"truncated data", good[:len(good)-4], "run past"},
		{"extra data", append(append([]byte(nil), good...), 0, 0, 0, 0), "the file has"},
		{"not JSON", rawFile("{nope}  ", nil), "header JSON"},
		{"JSON array", rawFile("[1,2,3] ", nil), "not a JSON object"},
		{"trailing", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} x`, make([]byte, 4)), "trailing data"},
		{"dtype", rawFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), `dtype "F16"`},
		{"shape vs offsets", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), "needs 8 bytes"},
		{"negative dim", rawFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), "out of range"},
		{"huge dims", rawFile(`{"a":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,4]}}`, make([]byte, 4)), "too many values"},
		{"offsets length", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, make([]byte, 4)), "want [begin, end]"},
		{"unknown field", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, make([]byte, 4)), "unknown field"},
		{"gap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "gap"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8)), "overlap"},
		{"duplicate", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "twice"},
		{"metadata not strings", rawFile(`{"__metadata__":{"a":1}}`, nil), "strings to strings"},
		{"no spec", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "not a rakam model"},
		{"bad spec", rawFile(`{"__metadata__":{"rakam.spec":"{\"input\":[784],\"layers\":[{\"kind\":\"Dense2\"}]}"}}`, nil), "unknown kind"},
		{"spec count mismatch", rawFile("{"+specMeta+"}", nil), "the file holds 0"},
		{"spec count mismatch 2", encodeTensors(t, other.Tensors(), map[string]string{MetaSpec: spec}), "has 135 values but the file holds 161"},
		{"spec shape mismatch", []byte(strings.Replace(string(good), `"shape":[4,3]`, `"shape":[3,4]`, 1)), `tensor "layers.8.weight" has shape [3 4]; the spec's model needs [4 3]`},
		{"renamed tensor", []byte(strings.Replace(string(good), "layers.8.bias", "layers.8.bian", 1)), `"layers.8.bias" of the spec's model is missing`},
		{"NaN weight", nanBytes, `tensor "layers.0.weight" holds +Inf at index 3`},
		{"header not UTF-8", rawFile("{\"\xff\":1}", nil), "UTF-8"},
	}
	_ = header
	_ = data
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.HasPrefix(tc.name, "spec") && !strings.Contains(tc.name, "weight") && !strings.Contains(tc.name, "renamed") {
				// must fail in DecodeTensors too
				_, _, err := DecodeTensors(bytes.NewReader(tc.file), int64(len(tc.file)))
				if err == nil && tc.name != "no spec" && tc.name != "bad spec" {
					t.Errorf("DecodeTensors(%s): no error", tc.name)
				}
				// Not a model file: the same detail, under ErrTensorFile.
				if err != nil && (!errors.Is(err, ErrTensorFile) || errors.Is(err, ErrFormat) ||
					!strings.HasPrefix(err.Error(), "nn: invalid safetensors file: ") || !strings.Contains(err.Error(), tc.want)) {
					t.Errorf("DecodeTensors(%s) = %v; want nn: invalid safetensors file: ...%s, wrapping ErrTensorFile only", tc.name, err, tc.want)
				}
			}
			m, _, err := Decode(bytes.NewReader(tc.file), int64(len(tc.file)))
			if err == nil {
				t.Fatalf("Decode(%s) = %v, nil; want an error containing %q", tc.name, m, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode(%s) = %v; want an error containing %q", tc.name, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "nn: ") {
				t.Errorf("Decode(%s) = %v; want the nn: prefix", tc.name, err)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("Decode(%s) = %v; want errors.Is(err, ErrFormat)", tc.name, err)
			}
		})
	}
}

func encodeTensors(t *testing.T, ts []*Param, meta map[string]string) []byte {
	var b bytes.Buffer
	if err := EncodeTensors(&b, ts, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func TestLoadErrorsNameFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, []byte("hello"), 0o644)
	_, _, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(%q) = %v; want an error naming the file", path, err)
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v; want ErrNotExist", err)
	}
	if _, _, err := Load(t.TempDir()); err == nil {
		t.Error("Load(directory): no error")
	}
}

func TestDecodeTensorsRoundTrip(t *testing.T) {
	ts := []*Param{
		{Name: "adam.m.0", Value: tensor.FromSlice([]float32{1, -2, 3.5, 0}, 2, 2)},
		{Name: "scalar", Value: tensor.FromSlice([]float32{7}, 1)},
		{Name: "empty", Value: tensor.New(0, 3)},
	}
	b := encodeTensors(t, ts, map[string]string{"step": "12"})
	got, meta, err := DecodeTensors(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if meta["step"] != "12" {
		t.Errorf("meta = %v", meta)
	}
	if len(got) != 3 {
		t.Fatalf("got %d tensors; want 3", len(got))
	}
	for i := range ts {
		if got[i].Name != ts[i].Name || !tensor.SameShape(got[i].Value, ts[i].Value) || !same(got[i].Value.Data, ts[i].Value.Data) {
			t.Errorf("tensor %d = %s %v %v; want %s %v %v", i, got[i].Name, got[i].Value.Shape, got[i].Value.Data, ts[i].Name, ts[i].Value.Shape, ts[i].Value.Data)
		}
	}
}
