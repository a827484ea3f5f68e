package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx/onnxpb"
	"github.com/rakam-ml/rakam/tensor"
)

// Versions of the format written.
const (
	// IRVersion is the ONNX IR version of the files Export writes (7, the
	// version of ONNX 1.8, which introduced operator set 13).
	IRVersion = 7
	// Opset is the version of the default ("ai.onnx") operator set used.
	Opset = 13
)

// Names of the graph's input and output.
const (
	InputName  = "input"
	OutputName = "probabilities"
)

// ImageShape is the per-example shape of the input: one channel of 28×28
// pixels in 0..1.
var ImageShape = []int{1, 28, 28}

// ErrUnsupported is wrapped by the error Export returns for a model it
// cannot express in ONNX, such as a layer with no operator mapping.
var ErrUnsupported = errors.New("onnx: unsupported model")

// unsupportedError is a reason a layer cannot be exported; it matches
// ErrUnsupported without repeating its text inside a layer's error.
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string        { return e.msg }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }

func unsupportedf(format string, a ...any) error {
	return &unsupportedError{fmt.Sprintf(format, a...)}
}

// Options adds descriptive information to an exported model. The zero
// value is ready to use.
type Options struct {
	// GraphName names the graph (default "rakam").
	GraphName string
	// DocString describes the model; a description of the input and the
	// output is always appended.
	DocString string
	// ProducerVersion is the rakam version that wrote the file.
	ProducerVersion string
	// ModelVersion is ONNX's model_version (default 0, which is omitted).
	ModelVersion int64
	// Metadata becomes the model's metadata_props, in key order. The
	// model's Spec is added as "rakam.spec" unless Metadata has that key.
	Metadata map[string]string
}

// Export writes model as an ONNX file to w. The model is read, never
// changed, so it must not be trained concurrently.
func Export(w io.Writer, model *nn.Sequential, opts Options) error {
	b, err := Marshal(model, opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("onnx: write: %w", err)
	}
	return nil
}

// WriteFile exports model to the file path, atomically: a failure leaves
// any existing file untouched.
func WriteFile(path string, model *nn.Sequential, opts Options) error {
	b, err := Marshal(model, opts)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// Marshal returns the bytes of the ONNX file Export writes.
func Marshal(model *nn.Sequential, opts Options) ([]byte, error) {
	mp, err := Model(model, opts)
	if err != nil {
		return nil, err
	}
	return Encode(mp)
}

// Encode returns the bytes of an ONNX file holding mp, deterministically:
// the same message always gives the same bytes.
func Encode(mp *onnxpb.ModelProto) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("onnx: encode: %w", err)
	}
	return b, nil
}

// Model translates model into an ONNX ModelProto, the message Marshal
// encodes. The weights are copied.
func Model(model *nn.Sequential, opts Options) (*onnxpb.ModelProto, error) {
	if model == nil || len(model.Layers) == 0 {
		return nil, fmt.Errorf("%w: model has no layers", ErrUnsupported)
	}
	shapes := model.Shapes()
	if len(shapes) != len(model.Layers)+1 {
		return nil, fmt.Errorf("%w: model has %d layers but %d shapes; build it with nn.Build", ErrUnsupported, len(model.Layers), len(shapes))
	}
	in, out := shapes[0], shapes[len(shapes)-1]
	if prod(in) != prod(ImageShape) {
		return nil, fmt.Errorf("%w: model input %v is not a 28x28 image (784 values)", ErrUnsupported, in)
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("%w: model output %v per example; want a vector of class scores", ErrUnsupported, out)
	}

	g := &graph{pb: &onnxpb.GraphProto{Name: orDefault(opts.GraphName, "rakam")}}
	g.pb.Input = []*onnxpb.ValueInfoProto{valueInfo(InputName, append([]int{-1}, ImageShape...))}
	x := InputName
	// The input is always (N, 1, 28, 28); view it as the model expects.
	switch {
	case slices.Equal(in, ImageShape):
	case len(in) == 1:
		x = g.node("Flatten", "input.Flatten", []string{x}, in, intAttr("axis", 1))
	default:
		s := g.int64Initializer("input.shape", toInt64(append([]int{-1}, in...)))
		x = g.node("Reshape", "input.Reshape", []string{x, s}, in)
	}

	for i, l := range model.Layers {
		var err error
		x, err = g.layer(i, l, x, shapes[i], shapes[i+1])
		if err != nil {
			return nil, fmt.Errorf("onnx: layer %d (%s): %w", i, l.Kind(), err)
		}
	}
	// Softmax over the last axis (opset 13 semantics: that axis alone).
	g.pb.Node = append(g.pb.Node, &onnxpb.NodeProto{
		Name: "output.Softmax", OpType: "Softmax",
		Input: []string{x}, Output: []string{OutputName},
		Attribute: []*onnxpb.AttributeProto{intAttr("axis", -1)},
	})
	g.pb.Output = []*onnxpb.ValueInfoProto{valueInfo(OutputName, []int{-1, out[0]})}

	doc := strings.TrimSpace(opts.DocString)
	if doc != "" {
		doc += "\n\n"
	}
	doc += fmt.Sprintf("Input %q: float32 [N, 1, 28, 28], pixels in 0..1, white digit on black (MNIST's convention). "+
		"Output %q: float32 [N, %d], the softmax probabilities of the classes 0..%d.", InputName, OutputName, out[0], out[0]-1)
	if g.dropped > 0 {
		doc += fmt.Sprintf(" %d Dropout layer(s) were left out: they are the identity at inference.", g.dropped)
	}
	g.pb.DocString = "rakam Sequential model: " + kinds(model)

	meta := map[string]string{"rakam.spec": string(model.Spec.JSON())}
	for k, v := range opts.Metadata {
		meta[k] = v
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	props := make([]*onnxpb.StringStringEntryProto, 0, len(keys))
	for _, k := range keys {
		props = append(props, &onnxpb.StringStringEntryProto{Key: k, Value: meta[k]})
	}

	return &onnxpb.ModelProto{
		IrVersion:       IRVersion,
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName:    "rakam",
		ProducerVersion: opts.ProducerVersion,
		ModelVersion:    opts.ModelVersion,
		DocString:       doc,
		Graph:           g.pb,
		MetadataProps:   props,
	}, nil
}

// graph accumulates nodes and initializers.
type graph struct {
	pb      *onnxpb.GraphProto
	dropped int
}

// node appends a node with one output, named after the node, whose value
// has per-example shape out, and returns the output's name.
func (g *graph) node(op, name string, inputs []string, out []int, attrs ...*onnxpb.AttributeProto) string {
	g.pb.Node = append(g.pb.Node, &onnxpb.NodeProto{
		Name: name, OpType: op, Input: inputs, Output: []string{name}, Attribute: attrs,
	})
	g.pb.ValueInfo = append(g.pb.ValueInfo, valueInfo(name, append([]int{-1}, out...)))
	return name
}

// initializer adds t, which must hold prod(dims) finite values, as a
// float32 constant of shape dims.
func (g *graph) initializer(name string, t *tensor.Tensor, dims ...int) (string, error) {
	if t == nil || len(t.Data) != prod(dims) {
		n := -1
		if t != nil {
			n = len(t.Data)
		}
		return "", fmt.Errorf("%s: %d values; want %v", name, n, dims)
	}
	raw := make([]byte, 0, 4*len(t.Data))
	for j, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return "", fmt.Errorf("%s[%d] is %g; a model with non-finite weights cannot be exported", name, j, v)
		}
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	g.pb.Initializer = append(g.pb.Initializer, &onnxpb.TensorProto{
		Name: name, Dims: toInt64(dims), DataType: int32(onnxpb.TensorProto_FLOAT), RawData: raw,
	})
	return name, nil
}

// scalar adds a float32 scalar constant.
func (g *graph) scalar(name string, v float64) string {
	g.pb.Initializer = append(g.pb.Initializer, &onnxpb.TensorProto{
		Name: name, DataType: int32(onnxpb.TensorProto_FLOAT),
		RawData: binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(v))),
	})
	return name
}

// int64Initializer adds a 1-D int64 constant, such as a Reshape target.
func (g *graph) int64Initializer(name string, v []int64) string {
	raw := make([]byte, 0, 8*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
	}
	g.pb.Initializer = append(g.pb.Initializer, &onnxpb.TensorProto{
		Name: name, Dims: []int64{int64(len(v))}, DataType: int32(onnxpb.TensorProto_INT64), RawData: raw,
	})
	return name
}

// valueInfo describes a float32 tensor; a dimension of -1 is the symbolic
// batch size "N".
func valueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	dims := make([]*onnxpb.TensorShapeProto_Dimension, len(shape))
	for i, d := range shape {
		if d < 0 {
			dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}
		} else {
			dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}
		}
	}
	return &onnxpb.ValueInfoProto{
		Name: name,
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: int32(onnxpb.TensorProto_FLOAT),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}

func intAttr(name string, v int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: proto.Int64(int64(v))}
}

func intsAttr(name string, v ...int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: toInt64(v)}
}

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: proto.Float32(v)}
}

func toInt64(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func kinds(m *nn.Sequential) string {
	ks := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		ks[i] = l.Kind()
	}
	return strings.Join(ks, " -> ")
}
