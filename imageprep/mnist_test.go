package imageprep_test

import (
	"image"
	"math"
	"testing"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/mnist"
)

// TestMNISTIsAFixedPoint prepares MNIST test digits themselves: an image
// already in the MNIST convention must come out nearly unchanged, which
// checks the box size, the centring and the intensity scale against the
// real thing rather than against our own idea of it.
func TestMNISTIsAFixedPoint(t *testing.T) {
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	set, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	var total float64
	worst, worstIdx := 0.0, 0
	for i := range n {
		img := &image.Gray{Pix: set.Image(i), Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
		d, err := imageprep.FromImage(img)
		if err != nil {
			t.Fatalf("FromImage(MNIST test image %d) = %v", i, err)
		}
		var diff float64
		for j, p := range set.Image(i) {
			diff += math.Abs(float64(d.Pixels[j]) - float64(p)/255)
		}
		diff /= 784
		total += diff
		if diff > worst {
			worst, worstIdx = diff, i
		}
	}
	mean := total / n
	t.Logf("mean |difference| over %d MNIST test digits: %.4f (worst %.4f, image %d)", n, mean, worst, worstIdx)
	if mean > 0.01 {
		t.Errorf("preparing MNIST digits changes them by %.4f on average; want <= 0.01", mean)
	}
}
