package imageprep_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/rakam-ml/rakam/imageprep"
)

// A black bar on white paper, off to one side, becomes a white "1" in the
// middle of a 28x28 frame, 20 pixels tall (rows 4 to 23).
func Example() {
	img := image.NewGray(image.Rect(0, 0, 120, 90))
	for i := range img.Pix {
		img.Pix[i] = 250
	}
	for y := 10; y < 70; y++ {
		for x := 80; x < 88; x++ {
			img.SetGray(x, y, color.Gray{20})
		}
	}
	var file bytes.Buffer
	png.Encode(&file, img)

	d, err := imageprep.Prepare(file.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("inverted:", d.Inverted, "ink:", d.Ink)
	for y := 2; y < 26; y += 3 {
		for x := 8; x < 20; x++ {
			fmt.Print(map[bool]string{true: "#", false: "."}[d.Gray.GrayAt(x, y).Y > 127])
		}
		fmt.Println()
	}
	// Output:
	// inverted: true ink: (80,10)-(88,70)
	// ............
	// .....###....
	// .....###....
	// .....###....
	// .....###....
	// .....###....
	// .....###....
	// .....###....
}

// Decompression bombs are refused from their header, before decoding.
func ExampleLimits_Decode() {
	lim := imageprep.Limits{MaxPixels: 1_000_000}
	img := image.NewGray(image.Rect(0, 0, 2000, 1000))
	var file bytes.Buffer
	png.Encode(&file, img)
	_, _, err := lim.Decode(file.Bytes())
	fmt.Println(err)
	// Output:
	// imageprep: image too large: 2000x1000 is 2.0 megapixels; the limit is 1.0
}
