package serve

import (
	"bytes"
	"encoding/binary"
	"github.com/rakam-ml/rakam/imageprep"
	"hash/crc32"
	"image"
	"image/color/palette"
	"image/gif"
	"image/png"
	"testing"
)

// pngHeader returns a PNG that declares w x h pixels but holds almost no
// data, as a decompression bomb does.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func zeroGIF() []byte {
	var b bytes.Buffer
	gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, 0, 0), palette.Plan9), nil)
	return b.Bytes()
}

func blankPNG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// imageLimitsForFuzz keeps fuzzed images small so the fuzzer stays fast.
var imageLimitsForFuzz = imageprep.Limits{MaxPixels: 1 << 18, MaxSide: 2048}
