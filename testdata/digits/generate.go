//go:build ignore

// Command generate writes the digit images in this directory: digits that
// do not come from MNIST, to check that rakam predict reads what people
// write and photograph. Run it from the repository root:
//
//	go run testdata/digits/generate.go
//
// The images are drawn by outside.Gallery (internal/outside), which
// documents them. Each file is named LABEL_STYLE_SCENE.EXT, LABEL being the
// true digit. STYLE is "hand" (a handwriting-like stroke: a hand-made
// skeleton per digit, its points jittered, slanted, rotated and scaled at
// random, then smoothed into a spline and drawn with a round pen of varying
// width) or the font it was typeset in. SCENE says where it was put: white,
// grey or blue paper, a sticky note, a chalkboard, a screen, a photo (uneven
// light, sensor noise, blur, JPEG), a sheet photographed on a wooden desk, a
// transparent canvas, a phone photo stored on its side with an EXIF
// orientation tag, and image sizes from 24x24 to 1600x1200 with the digit
// anywhere in the frame (on the sheet, for the desk).
//
// Everything is drawn from seeded PCGs, so the files are reproducible bit
// for bit.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/internal/outside"
)

func main() {
	dir := filepath.Join("testdata", "digits")
	if _, err := os.Stat(dir); err != nil {
		log.Fatalf("run from the repository root: %v", err)
	}
	samples, err := outside.Gallery()
	if err != nil {
		log.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "[0-9]_*"))
	for _, f := range old {
		os.Remove(f)
	}
	for _, s := range samples {
		if err := atomicfile.WriteFile(filepath.Join(dir, s.Name), s.Data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d images to %s\n", len(samples), dir)
}
