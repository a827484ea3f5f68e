package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/internal/version"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx"
)

func init() {
	register(&command{name: "export", summary: "export a saved model to ONNX for other runtimes", run: runExport})
}

type exportOptions struct {
	onnxPath string
	json     bool
}

// exportResult is what --json prints.
type exportResult struct {
	Model        string   `json:"model"`
	ONNX         string   `json:"onnx"`
	Bytes        int      `json:"bytes"`
	SHA256       string   `json:"sha256"`
	IRVersion    int      `json:"ir_version"`
	Opset        int      `json:"opset"`
	Operators    []string `json:"operators"`
	Initializers int      `json:"initializers"`
	Values       int      `json:"values"`
	Input        string   `json:"input"`
	InputShape   []any    `json:"input_shape"`
	Output       string   `json:"output"`
	OutputShape  []any    `json:"output_shape"`
}

func runExport(ctx context.Context, e *env, args []string) error {
	var opts exportOptions
	fs := newFlags(e, "export", "--onnx OUT.onnx [--json] MODEL.safetensors", `
Writes a model saved by rakam (a safetensors file) as an ONNX file (IR version
7, operator set 13) that onnxruntime and other runtimes can run. The graph
takes one input, "input", of shape [N, 1, 28, 28] holding pixels in 0..1
(white digit on black, as MNIST), and gives one output, "probabilities", of
shape [N, 10]. Dense becomes Gemm, Conv2D Conv, MaxPool2D MaxPool, BatchNorm
BatchNormalization (running statistics), activations their ONNX operators,
and Dropout is left out. The model's metadata (spec, version, metrics, training
configuration) is copied into the ONNX metadata. The file is written
atomically. See docs/onnx.md.`)
	fs.StringVar(&opts.onnxPath, "onnx", "", "write the ONNX model to this `file` (required)")
	fs.BoolVar(&opts.json, "json", false, "print one JSON object on stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if opts.onnxPath == "" {
		return usagef("--onnx OUT.onnx is required")
	}
	switch fs.NArg() {
	case 0:
		return usagef("missing MODEL.safetensors")
	case 1:
	default:
		return usagef("unexpected argument %q; export takes one model", fs.Arg(1))
	}
	modelPath := fs.Arg(0)
	if samePath(modelPath, opts.onnxPath) {
		return usagef("--onnx %s would overwrite the model it reads", opts.onnxPath)
	}
	res, err := exportONNX(modelPath, opts.onnxPath)
	if err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes): ONNX IR %d, opset %d, %d nodes: %s\n",
		res.ONNX, res.Bytes, res.IRVersion, res.Opset, len(res.Operators), strings.Join(res.Operators, " -> "))
	fmt.Fprintf(e.stdout, "input %q %v (pixels 0..1), output %q %v\n", res.Input, res.InputShape, res.Output, res.OutputShape)
	return nil
}

// exportONNX loads the model at modelPath and writes it to out.
func exportONNX(modelPath, out string) (*exportResult, error) {
	src, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, meta, err := nn.Load(modelPath)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	info := map[string]string{}
	for k, v := range meta {
		info[k] = v
	}
	info["rakam.source_model"] = filepath.Base(modelPath)
	info["rakam.source_sha256"] = hex.EncodeToString(sum[:])
	mp, err := onnx.Model(m, onnx.Options{
		GraphName:       strings.TrimSuffix(filepath.Base(modelPath), filepath.Ext(modelPath)),
		DocString:       fmt.Sprintf("MNIST digit classifier exported by rakam from %s.", filepath.Base(modelPath)),
		ProducerVersion: rakamVersion(),
		Metadata:        info,
	})
	if err != nil {
		return nil, err
	}
	b, err := onnx.Encode(mp)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(out, b, 0o644); err != nil {
		return nil, err
	}
	osum := sha256.Sum256(b)
	res := &exportResult{
		Model: modelPath, ONNX: out, Bytes: len(b), SHA256: hex.EncodeToString(osum[:]),
		IRVersion: int(mp.IrVersion), Opset: int(mp.OpsetImport[0].Version),
		Initializers: len(mp.Graph.Initializer), Values: m.NumParams() + m.NumState(),
		Input: onnx.InputName, InputShape: []any{"N", 1, 28, 28},
		Output: onnx.OutputName, OutputShape: []any{"N", m.OutputShape()[0]},
	}
	for _, n := range mp.Graph.Node {
		res.Operators = append(res.Operators, n.OpType)
	}
	return res, nil
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// rakamVersion is the version rakam stamps on the files it writes, e.g.
// "0.1.0+3f2a1c9" (other commands use it too).
func rakamVersion() string { return version.String() }
