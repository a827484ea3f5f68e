package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/rakam-ml/rakam/internal/version"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx/onnxpb"
)

// savedCNN writes a small CNN with every exportable layer kind to dir.
func savedCNN(t *testing.T, dir string) string {
	t.Helper()
	spec := nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 4, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"}, {Kind: "MaxPool2D"},
		{Kind: "Flatten"}, {Kind: "Dropout", Rate: 0.5}, {Kind: "Dense", Units: 10},
	}}
	m, err := nn.Build(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cnn.safetensors")
	if err := nn.Save(path, m, map[string]string{nn.MetaVersion: "v0.test", nn.MetaMetrics: `{"test_accuracy":0.5}`}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	model := savedCNN(t, dir)
	out := filepath.Join(dir, "cnn.onnx")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"export", "--onnx", out, model}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("rakam export exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Conv -> BatchNormalization -> Relu -> MaxPool -> Flatten -> Gemm -> Softmax") {
		t.Errorf("stdout = %q; want the operator list", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatalf("exported file does not decode: %v", err)
	}
	meta := map[string]string{}
	for _, p := range mp.MetadataProps {
		meta[p.Key] = p.Value
	}
	if meta[nn.MetaVersion] != "v0.test" || meta[nn.MetaMetrics] == "" || meta[nn.MetaSpec] == "" ||
		meta["rakam.source_model"] != "cnn.safetensors" || len(meta["rakam.source_sha256"]) != 64 {
		t.Errorf("metadata_props = %v; want the model's metadata and its source", meta)
	}
	if mp.ProducerName != "rakam" || mp.ProducerVersion != version.String() || mp.Graph.Name != "cnn" {
		t.Errorf("producer %q %q, graph %q; want rakam %s and cnn", mp.ProducerName, mp.ProducerVersion, mp.Graph.Name, version.String())
	}

	// --json prints one object describing the file.
	stdout.Reset()
	if code := run(context.Background(), []string{"export", "--json", model, "--onnx", out}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("rakam export --json exit %d: %s", code, stderr.String())
	}
	var res exportResult
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("--json output: %v", err)
	}
	if res.Bytes != len(b) || res.Opset != 13 || res.IRVersion != 7 || len(res.Operators) != 7 || res.Output != "probabilities" {
		t.Errorf("--json = %+v; want %d bytes, opset 13, IR 7, 7 operators", res, len(b))
	}
	if dec.More() {
		t.Error("--json printed more than one object")
	}
}

func TestExportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	model := savedCNN(t, dir)
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	if err := os.WriteFile(corrupt, []byte("not a model at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x.onnx")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --onnx", []string{model}, 2, "--onnx OUT.onnx is required"},
		{"no model", []string{"--onnx", out}, 2, "missing MODEL.safetensors"},
		{"two models", []string{"--onnx", out, model, model}, 2, "export takes one model"},
		{"overwrite the model", []string{"--onnx", model, model}, 2, "would overwrite the model"},
		{"missing file", []string{"--onnx", out, filepath.Join(dir, "nope.safetensors")}, 1, "nope.safetensors"},
		{"corrupt model", []string{"--onnx", out, corrupt}, 1, "corrupt.safetensors"},
		{"unwritable output", []string{"--onnx", filepath.Join(dir, "no", "such", "dir", "x.onnx"), model}, 1, "x.onnx"},
		{"bad flag", []string{"--onnx", out, "--bogus", model}, 2, "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"export"}, tc.args...), nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("rakam export %q = exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.want)
			}
			if !strings.HasPrefix(stderr.String(), "rakam export: ") {
				t.Errorf("stderr %q does not start with \"rakam export: \"", stderr.String())
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a failed export left %s behind", out)
			}
		})
	}
}

func TestExportHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"export", "--help"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	if !strings.Contains(stdout.String(), "Usage: rakam export --onnx OUT.onnx") {
		t.Errorf("--help printed %q", stdout.String())
	}
}
