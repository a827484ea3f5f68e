package mnist

import (
	"bytes"
	"testing"
)

// BenchmarkLoadTrain reads the real 60000 training images and labels (gzip).
func BenchmarkLoadTrain(b *testing.B) {
	dir := realData(b)
	b.SetBytes(TrainCount*(Rows*Cols+1) + 16 + 8)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadTrain(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, compress, sized bool) {
	const n = 10000
	pix := make([]uint8, n*Rows*Cols)
	for i := range pix {
		if i%5 == 0 {
			pix[i] = uint8(i)
		}
	}
	var buf bytes.Buffer
	if err := WriteImages(&buf, pix, n, Rows, Cols); err != nil {
		b.Fatal(err)
	}
	in := buf.Bytes()
	if compress {
		in = gz(b, in)
	}
	b.SetBytes(int64(len(pix)))
	b.ReportAllocs()
	for b.Loop() {
		var r interface{ Read([]byte) (int, error) } = bytes.NewReader(in)
		if !sized {
			r = sizeless{r}
		}
		if _, _, _, _, err := ReadImages(r, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadImagesRaw(b *testing.B)        { benchRead(b, false, true) }
func BenchmarkReadImagesRawUnsized(b *testing.B) { benchRead(b, false, false) }
func BenchmarkReadImagesGzip(b *testing.B)       { benchRead(b, true, true) }

func BenchmarkSplit(b *testing.B) {
	s := &Set{Images: make([]uint8, TrainCount*Rows*Cols), Labels: make([]uint8, TrainCount), N: TrainCount, Rows: Rows, Cols: Cols}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Split(5000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
