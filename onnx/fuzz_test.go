package onnx_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx"
	"github.com/rakam-ml/rakam/onnx/onnxpb"
)

// FuzzExport builds models from arbitrary Specs (JSON, as saved models
// carry them) and checks that the exporter never panics, refuses only with
// ErrUnsupported or a clear error, and otherwise writes a well-formed graph
// with the operators the Spec calls for.
func FuzzExport(f *testing.F) {
	for _, tm := range testModels() {
		f.Add(tm.spec.JSON())
	}
	f.Add([]byte(`{"input":[1,28,28],"layers":[{"kind":"MaxPool2D","kernel":3,"stride":1},{"kind":"Conv2D","filters":2,"kernel":5,"stride":3,"pad":4},{"kind":"Dense","units":10}]}`))
	f.Add([]byte(`{"input":[784],"layers":[{"kind":"Dense","units":10},{"kind":"Dropout","rate":0.5}]}`))
	f.Add([]byte(`{"input":[4,14,14],"layers":[{"kind":"BatchNorm"},{"kind":"Flatten"},{"kind":"Dense","units":3}]}`))
	f.Fuzz(func(t *testing.T, specJSON []byte) {
		spec, err := nn.ParseSpec(specJSON)
		if err != nil {
			return
		}
		// Keep models small so that Build stays fast.
		for _, l := range spec.Layers {
			if l.Units > 64 || l.Filters > 16 {
				return
			}
		}
		if len(spec.Layers) > 32 {
			return
		}
		m, err := nn.Build(spec, 1)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		err = onnx.Export(&buf, m, onnx.Options{})
		shapes := m.Shapes()
		in, out := shapes[0], shapes[len(shapes)-1]
		exportable := prodInts(in) == 784 && len(out) == 1
		if err != nil {
			if !exportable && errors.Is(err, onnx.ErrUnsupported) && strings.HasPrefix(err.Error(), "onnx: ") {
				return
			}
			t.Fatalf("Export(%s) = %v", specJSON, err)
		}
		if !exportable {
			t.Fatalf("Export(%s) accepted input %v, output %v", specJSON, in, out)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
			t.Fatalf("exported bytes do not decode: %v", err)
		}
		var ops []string
		defined := map[string]bool{onnx.InputName: true}
		for _, in := range mp.Graph.Initializer {
			defined[in.Name] = true
		}
		for _, n := range mp.Graph.Node {
			ops = append(ops, n.OpType)
			for _, in := range n.Input {
				if !defined[in] {
					t.Fatalf("node %s reads undefined %q", n.Name, in)
				}
			}
			for _, o := range n.Output {
				if defined[o] {
					t.Fatalf("node %s redefines %q", n.Name, o)
				}
				defined[o] = true
			}
		}
		if !defined[onnx.OutputName] {
			t.Fatalf("no node outputs %q", onnx.OutputName)
		}
		if got, want := strings.Join(ops, " "), wantOps(spec); got != want {
			t.Fatalf("Export(%s) operators = %s; want %s", specJSON, got, want)
		}
	})
}

func prodInts(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
