package onnx_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx"
	"github.com/rakam-ml/rakam/onnx/onnxpb"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/tensor"
)

// wantOps returns the operator sequence a model must export to, from its
// Spec: the ONNX mapping written down independently of the exporter.
func wantOps(spec nn.Spec) string {
	var ops []string
	switch {
	case len(spec.Input) == 1:
		ops = append(ops, "Flatten")
	case !slices.Equal(spec.Input, []int{1, 28, 28}):
		ops = append(ops, "Reshape")
	}
	rank := len(spec.Input)
	for _, l := range spec.Layers {
		switch l.Kind {
		case "Dense":
			if rank != 1 {
				ops = append(ops, "Flatten")
			}
			ops = append(ops, "Gemm")
			rank = 1
		case "Conv2D":
			ops = append(ops, "Conv")
		case "MaxPool2D":
			ops = append(ops, "MaxPool")
		case "BatchNorm":
			ops = append(ops, "BatchNormalization")
		case "Dropout":
		case "ReLU":
			ops = append(ops, "Relu")
		case "LeakyReLU":
			ops = append(ops, "LeakyRelu")
		case "Tanh", "Sigmoid":
			ops = append(ops, l.Kind)
		case "GELU":
			ops = append(ops, "Div", "Erf", "Add", "Mul", "Mul")
		case "Flatten":
			ops = append(ops, "Flatten")
			rank = 1
		default:
			ops = append(ops, "?"+l.Kind)
		}
	}
	return strings.Join(append(ops, "Softmax"), " ")
}

// decode exports m and reads the bytes back with the generated types.
func decode(t *testing.T, m *nn.Sequential, opts onnx.Options) (*onnxpb.ModelProto, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := onnx.Export(&buf, m, opts); err != nil {
		t.Fatalf("Export: %v", err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		t.Fatalf("proto.Unmarshal of exported bytes: %v", err)
	}
	return &mp, buf.Bytes()
}

// dims returns a value's shape, with -1 for a symbolic dimension.
func dims(t *testing.T, vi *onnxpb.ValueInfoProto) []int {
	t.Helper()
	tt := vi.GetType().GetTensorType()
	if tt == nil || tt.ElemType != int32(onnxpb.TensorProto_FLOAT) {
		t.Fatalf("value %q: type %v; want a float tensor", vi.Name, vi.GetType())
	}
	var d []int
	for _, dim := range tt.GetShape().GetDim() {
		switch v := dim.Value.(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			d = append(d, int(v.DimValue))
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			if v.DimParam != "N" {
				t.Errorf("value %q: symbolic dimension %q; want \"N\"", vi.Name, v.DimParam)
			}
			d = append(d, -1)
		default:
			t.Fatalf("value %q: dimension without value", vi.Name)
		}
	}
	return d
}

func floatsOf(t *testing.T, tp *onnxpb.TensorProto) []float32 {
	t.Helper()
	if tp.DataType != int32(onnxpb.TensorProto_FLOAT) || len(tp.RawData)%4 != 0 {
		t.Fatalf("initializer %q: type %d with %d raw bytes; want float32", tp.Name, tp.DataType, len(tp.RawData))
	}
	v := make([]float32, len(tp.RawData)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(tp.RawData[4*i:]))
	}
	return v
}

func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.Attribute {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func TestExportStructure(t *testing.T) {
	for _, tm := range testModels() {
		t.Run(tm.name, func(t *testing.T) {
			m, err := nn.Build(tm.spec, 1)
			if err != nil {
				t.Fatal(err)
			}
			mp, _ := decode(t, m, onnx.Options{ProducerVersion: "v-test", Metadata: map[string]string{"rakam.version": "v-test"}})

			if mp.IrVersion != onnx.IRVersion || len(mp.OpsetImport) != 1 || mp.OpsetImport[0].Domain != "" || mp.OpsetImport[0].Version != onnx.Opset {
				t.Errorf("ir_version %d, opset_import %v; want %d and ai.onnx %d", mp.IrVersion, mp.OpsetImport, onnx.IRVersion, onnx.Opset)
			}
			if mp.ProducerName != "rakam" || mp.ProducerVersion != "v-test" {
				t.Errorf("producer %q %q; want \"rakam\" \"v-test\"", mp.ProducerName, mp.ProducerVersion)
			}
			if !strings.Contains(mp.DocString, `"input": float32 [N, 1, 28, 28]`) {
				t.Errorf("doc_string %q does not describe the input", mp.DocString)
			}
			meta := map[string]string{}
			for _, p := range mp.MetadataProps {
				meta[p.Key] = p.Value
			}
			if meta["rakam.spec"] != string(tm.spec.JSON()) || meta["rakam.version"] != "v-test" {
				t.Errorf("metadata_props = %v; want rakam.spec %s and rakam.version", meta, tm.spec.JSON())
			}

			g := mp.Graph
			if len(g.Input) != 1 || g.Input[0].Name != "input" || !slices.Equal(dims(t, g.Input[0]), []int{-1, 1, 28, 28}) {
				t.Fatalf("graph inputs %v; want one \"input\" [N 1 28 28]", g.Input)
			}
			if len(g.Output) != 1 || g.Output[0].Name != "probabilities" || !slices.Equal(dims(t, g.Output[0]), []int{-1, 10}) {
				t.Fatalf("graph outputs %v; want one \"probabilities\" [N 10]", g.Output)
			}

			var ops []string
			for _, n := range g.Node {
				ops = append(ops, n.OpType)
			}
			if got, want := strings.Join(ops, " "), wantOps(tm.spec); got != want {
				t.Errorf("operators = %s\nwant        %s", got, want)
			}

			// Well-formed: every node reads only the input, initializers
			// and earlier outputs; names are unique; everything is used.
			defined := map[string]bool{"input": true}
			inits := map[string]*onnxpb.TensorProto{}
			for _, in := range g.Initializer {
				if defined[in.Name] {
					t.Errorf("initializer %q defined twice", in.Name)
				}
				defined[in.Name] = true
				inits[in.Name] = in
			}
			used := map[string]bool{}
			shapes := map[string][]int{}
			for _, vi := range g.ValueInfo {
				shapes[vi.Name] = dims(t, vi)
			}
			for _, n := range g.Node {
				for _, in := range n.Input {
					if !defined[in] {
						t.Errorf("node %s (%s) reads %q before it is defined", n.Name, n.OpType, in)
					}
					used[in] = true
				}
				if len(n.Output) != 1 || defined[n.Output[0]] {
					t.Errorf("node %s outputs %v; want one new name", n.Name, n.Output)
				}
				defined[n.Output[0]] = true
				if n.Output[0] != "probabilities" && shapes[n.Output[0]] == nil {
					t.Errorf("node %s: no value_info for its output", n.Name)
				}
			}
			for name := range inits {
				if !used[name] {
					t.Errorf("initializer %q is never used", name)
				}
			}
			if last := g.Node[len(g.Node)-1]; last.Output[0] != "probabilities" {
				t.Errorf("last node outputs %v; want probabilities", last.Output)
			}

			// Every weight and running statistic is exported bit for bit
			// under its saved-model name and shape.
			for _, p := range m.Tensors() {
				in := inits[p.Name]
				if in == nil {
					t.Errorf("no initializer for %s", p.Name)
					continue
				}
				if got := in.Dims; !slices.Equal(got, toInt64(p.Value.Shape)) {
					t.Errorf("initializer %s dims %v; want %v", p.Name, got, p.Value.Shape)
				}
				if got := floatsOf(t, in); !slices.Equal(got, p.Value.Data) {
					t.Errorf("initializer %s values differ from the model's", p.Name)
				}
			}

			// Value shapes and attributes follow the layers.
			shp := m.Shapes()
			for i, l := range m.Layers {
				prefix := "layers." + strconv.Itoa(i) + "."
				var node *onnxpb.NodeProto
				for _, n := range g.Node {
					if strings.HasPrefix(n.Name, prefix) && n.OpType != "Flatten" || n.Name == prefix+"Flatten" && l.Kind() == "Flatten" {
						node = n
					}
				}
				if l.Kind() == "Dropout" {
					if node != nil {
						t.Errorf("layer %d (Dropout) exported as %s", i, node.OpType)
					}
					continue
				}
				if node == nil {
					t.Errorf("layer %d (%s): no node", i, l.Kind())
					continue
				}
				if got, want := shapes[node.Output[0]], append([]int{-1}, shp[i+1]...); !slices.Equal(got, want) {
					t.Errorf("layer %d (%s): output shape %v; want %v", i, l.Kind(), got, want)
				}
				switch l := l.(type) {
				case *nn.Conv2D:
					if a := attr(node, "kernel_shape"); a == nil || !slices.Equal(a.Ints, []int64{int64(l.KH), int64(l.KW)}) {
						t.Errorf("layer %d: kernel_shape %v; want [%d %d]", i, a, l.KH, l.KW)
					}
					if a := attr(node, "strides"); a == nil || !slices.Equal(a.Ints, []int64{int64(l.Stride), int64(l.Stride)}) {
						t.Errorf("layer %d: strides %v; want %d", i, a, l.Stride)
					}
					p := int64(l.Pad)
					if a := attr(node, "pads"); a == nil || !slices.Equal(a.Ints, []int64{p, p, p, p}) {
						t.Errorf("layer %d: pads %v; want %d", i, a, p)
					}
				case *nn.MaxPool2D:
					if a := attr(node, "kernel_shape"); a == nil || !slices.Equal(a.Ints, []int64{int64(l.K), int64(l.K)}) {
						t.Errorf("layer %d: kernel_shape %v; want %d", i, a, l.K)
					}
				case *nn.BatchNorm:
					if a := attr(node, "epsilon"); a == nil || a.Type != onnxpb.AttributeProto_FLOAT || a.GetF() != l.Eps {
						t.Errorf("layer %d: epsilon %v; want %g", i, a, l.Eps)
					}
				case *nn.LeakyReLU:
					if a := attr(node, "alpha"); a == nil || a.GetF() != l.Alpha {
						t.Errorf("layer %d: alpha %v; want %g", i, a, l.Alpha)
					}
				}
			}
		})
	}
}

func toInt64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func TestExportIsDeterministic(t *testing.T) {
	z, err := study.ZooByName("cnn")
	if err != nil {
		t.Fatal(err)
	}
	a, err := nn.Build(z.Spec, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := nn.Build(z.Spec, 3)
	meta := map[string]string{"z": "1", "a": "2", "m": "3"}
	ba, err := onnx.Marshal(a, onnx.Options{Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	bb, err := onnx.Marshal(b, onnx.Options{Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ba, bb) {
		t.Errorf("two exports of the same model differ (%d and %d bytes)", len(ba), len(bb))
	}
}

// oddLayer is a layer the exporter does not know.
type oddLayer struct{ nn.ReLU }

func (*oddLayer) Kind() string { return "Odd" }

func TestExportErrors(t *testing.T) {
	build := func(spec nn.Spec) *nn.Sequential {
		m, err := nn.Build(spec, 1)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	mlp := func() *nn.Sequential {
		return build(nn.Spec{Input: flat, Layers: []nn.LayerSpec{dense(8), kind("ReLU"), dense(10)}})
	}
	tests := []struct {
		name        string
		model       func() *nn.Sequential
		unsupported bool
		want        string
	}{
		{"nil model", func() *nn.Sequential { return nil }, true, "no layers"},
		{"unknown layer", func() *nn.Sequential {
			m := mlp()
			m.Layers[1] = &oddLayer{}
			return m
		}, true, `onnx: layer 1 (Odd): layer kind "Odd" (*onnx_test.oddLayer) has no ONNX mapping`},
		{"input not an image", func() *nn.Sequential {
			return build(nn.Spec{Input: []int{100}, Layers: []nn.LayerSpec{dense(10)}})
		}, true, "input [100] is not a 28x28 image"},
		{"output not a vector", func() *nn.Sequential {
			return build(nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{conv(2, 3, 1, 1)}})
		}, true, "output [2 28 28]"},
		{"NaN weight", func() *nn.Sequential {
			m := mlp()
			m.Layers[2].(*nn.Dense).W.Value.Data[5] = float32(math.NaN())
			return m
		}, false, "layer 2 (Dense): layers.2.weight[5] is NaN"},
		{"negative running variance", func() *nn.Sequential {
			m := build(nn.Spec{Input: flat, Layers: []nn.LayerSpec{dense(4), kind("BatchNorm"), dense(10)}})
			m.Layers[1].(*nn.BatchNorm).RunningVar.Value.Data[2] = -1
			return m
		}, false, "layer 1 (BatchNorm): running variance -1 is negative"},
		{"weights of the wrong size", func() *nn.Sequential {
			m := mlp()
			d := m.Layers[0].(*nn.Dense)
			d.B.Value = tensor.New(3)
			return m
		}, false, "layers.0.bias: 3 values; want [8]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := onnx.Export(&bytes.Buffer{}, tc.model(), onnx.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Export() = %v; want an error containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "onnx: ") {
				t.Errorf("Export() = %q; want the prefix \"onnx: \"", err)
			}
			if got := errors.Is(err, onnx.ErrUnsupported); got != tc.unsupported {
				t.Errorf("errors.Is(%v, ErrUnsupported) = %v; want %v", err, got, tc.unsupported)
			}
		})
	}
}

// A failed export must leave an existing file untouched.
func TestWriteFileKeepsOldFileOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.onnx")
	m, err := nn.Build(nn.Spec{Input: flat, Layers: []nn.LayerSpec{dense(10)}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := onnx.WriteFile(path, m, onnx.Options{}); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	m.Layers[0].(*nn.Dense).W.Value.Data[0] = float32(math.Inf(1))
	if err := onnx.WriteFile(path, m, onnx.Options{}); err == nil {
		t.Fatal("WriteFile of a model with Inf weights succeeded")
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("a failed WriteFile changed the existing file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write; want 1", len(entries))
	}
	if err := onnx.WriteFile(filepath.Join(path, "sub", "x.onnx"), m, onnx.Options{}); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

func BenchmarkMarshalCNN(b *testing.B) {
	z, err := study.ZooByName("cnn")
	if err != nil {
		b.Fatal(err)
	}
	m, err := nn.Build(z.Spec, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := onnx.Marshal(m, onnx.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
