package onnx_test

import (
	"bytes"
	"fmt"
	"log"

	"google.golang.org/protobuf/proto"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/onnx"
	"github.com/rakam-ml/rakam/onnx/onnxpb"
)

// Export a small convolutional network and look at the graph it becomes.
func ExampleExport() {
	spec := nn.Spec{Input: []int{1, 28, 28}, Layers: []nn.LayerSpec{
		{Kind: "Conv2D", Filters: 8, Kernel: 3, Pad: 1}, {Kind: "BatchNorm"}, {Kind: "ReLU"},
		{Kind: "MaxPool2D"}, {Kind: "Flatten"}, {Kind: "Dropout", Rate: 0.25}, {Kind: "Dense", Units: 10},
	}}
	model, err := nn.Build(spec, 1)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := onnx.Export(&buf, model, onnx.Options{}); err != nil {
		log.Fatal(err)
	}

	var m onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &m); err != nil {
		log.Fatal(err)
	}
	fmt.Println("producer:", m.ProducerName, "opset:", m.OpsetImport[0].Version)
	for _, n := range m.Graph.Node {
		fmt.Printf("%-18s %v -> %v\n", n.OpType, n.Input, n.Output)
	}
	// Output:
	// producer: rakam opset: 13
	// Conv               [input layers.0.weight layers.0.bias] -> [layers.0.Conv]
	// BatchNormalization [layers.0.Conv layers.1.gamma layers.1.beta layers.1.running_mean layers.1.running_var] -> [layers.1.BatchNormalization]
	// Relu               [layers.1.BatchNormalization] -> [layers.2.Relu]
	// MaxPool            [layers.2.Relu] -> [layers.3.MaxPool]
	// Flatten            [layers.3.MaxPool] -> [layers.4.Flatten]
	// Gemm               [layers.4.Flatten layers.6.weight layers.6.bias] -> [layers.6.Gemm]
	// Softmax            [layers.6.Gemm] -> [probabilities]
}
