// Package onnx implements export of rakam models to ONNX, the Open Neural
// Network Exchange format (https://onnx.ai): a protocol-buffer file holding
// a computation graph, its weights and the operator set it needs, which
// onnxruntime, PyTorch, TensorFlow and many other runtimes can load.
//
// Export writes an nn.Sequential as an ONNX model of IR version 7 with
// operator set 13 of the default "ai.onnx" domain. The graph has one input,
// "input", of shape [N, 1, 28, 28] (N dynamic) holding pixels in 0..1 —
// white digit on black, as MNIST stores them — and one output,
// "probabilities", of shape [N, 10]: the model's logits through Softmax.
// Layers map to operators one to one:
//
//	Dense       Gemm (weights (In, Out), transB = 0)
//	Conv2D      Conv (weights (OutC, InC, K, K), strides, pads)
//	MaxPool2D   MaxPool
//	BatchNorm   BatchNormalization (inference: running mean and variance)
//	ReLU        Relu
//	LeakyReLU   LeakyRelu
//	Tanh        Tanh
//	Sigmoid     Sigmoid
//	GELU        x·0.5·(1 + Erf(x/√2)), as Div, Erf, Add, Mul, Mul
//	Flatten     Flatten (axis 1)
//	Dropout     nothing: it is the identity at inference
//
// A model whose input is a flat vector of 784 pixels starts with a Flatten,
// and a Dense layer that follows a (C, H, W) layer directly gets one too.
// A layer with no mapping is an error wrapping ErrUnsupported. Each kind's
// mapping registers itself in layers.go, keyed by the kind's name, as the
// kinds register themselves in package nn; the exporter names no kind.
//
// The file is built with Go types generated from the ONNX schema (package
// onnxpb) and encoded deterministically: the same model gives the same
// bytes.
package onnx
