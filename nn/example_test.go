package nn_test

import (
	"fmt"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/tensor"
)

func ExampleBuild() {
	spec := nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{
		{Kind: "Dense", Units: 128}, {Kind: "ReLU"}, {Kind: "Dropout", Rate: 0.2}, {Kind: "Dense", Units: 10},
	}}
	m, err := nn.Build(spec, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(m)
	logits := m.Forward(tensor.New(32, 784), false)
	fmt.Println(logits.Shape)
	// Output:
	// #  layer         output   params  FLOPs/image
	//    input         (784)
	// 0  Dense         (128)   100,480      200,832
	// 1  ReLU          (128)         0          128
	// 2  Dropout(0.2)  (128)         0            0
	// 3  Dense         (10)      1,290        2,570
	// trainable params: 101,770; non-trainable (BatchNorm statistics): 0; forward FLOPs/image: 203,530
	// [32 10]
}

func ExampleSoftmaxCrossEntropy() {
	logits := tensor.FromSlice([]float32{2, 0, 0, 0, 0, 3}, 2, 3)
	var loss nn.SoftmaxCrossEntropy
	l, dlogits, _ := loss.Forward(logits, []uint8{0, 2})
	fmt.Printf("loss %.4f\n", l)
	fmt.Printf("dlogits row 0 %.4f\n", dlogits.Data[:3])
	// Output:
	// loss 0.1672
	// dlogits row 0 [-0.1065 0.0533 0.0533]
}
