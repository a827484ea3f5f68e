package mnist

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// realData returns the directory of the real MNIST files (the GoMNIST module).
func realData(t testing.TB) string {
	t.Helper()
	dir, err := Locate("")
	if err != nil {
		t.Fatalf("real MNIST not found: %v", err)
	}
	return dir
}

func classCounts(labels []uint8) [NumClasses]int {
	var c [NumClasses]int
	for _, l := range labels {
		c[l]++
	}
	return c
}

func TestRealMNIST(t *testing.T) {
	t.Setenv(EnvData, "")
	dir := realData(t)
	train, err := LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	test, err := LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != TrainCount || test.N != TestCount || train.Rows != 28 || test.Cols != 28 {
		t.Fatalf("loaded %d and %d images of %dx%d; want 60000 and 10000 of 28x28", train.N, test.N, train.Rows, train.Cols)
	}
	// Class sizes of the published MNIST sets.
	wantTrain := [NumClasses]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	wantTest := [NumClasses]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	if got := classCounts(train.Labels); got != wantTrain {
		t.Errorf("training class counts %v; want %v", got, wantTrain)
	}
	if got := classCounts(test.Labels); got != wantTest {
		t.Errorf("test class counts %v; want %v", got, wantTest)
	}
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Errorf("first labels %d, %d; want 5, 7", train.Labels[0], test.Labels[0])
	}

	sums, err := Checksums(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 4 {
		t.Errorf("Checksums found %d files; want 4", len(sums))
	}
	for name, sum := range sums {
		if KnownSHA256[name] != sum {
			t.Errorf("SHA-256 of %s = %s; want the known %s", name, sum, KnownSHA256[name])
		}
	}
	if d, err := DatasetSHA256(dir); err != nil || d != OriginalDatasetSHA256 {
		t.Errorf("DatasetSHA256 = %s, %v; want %s", d, err, OriginalDatasetSHA256)
	}

	// Stored raw, the same data has the same dataset digest (the raw files'
	// digests are computed here, not looked up).
	raw := t.TempDir()
	for _, base := range Files {
		src := filepath.Join(dir, base+".gz")
		if base == TrainImagesFile { // 47 MB: keep it gzip, via a link
			if err := os.Symlink(src, filepath.Join(raw, base+".gz")); err != nil {
				t.Fatal(err)
			}
			continue
		}
		gunzipTo(t, src, filepath.Join(raw, base))
	}
	if d, err := DatasetSHA256(raw); err != nil || d != OriginalDatasetSHA256 {
		t.Errorf("DatasetSHA256(raw copies) = %s, %v; want %s", d, err, OriginalDatasetSHA256)
	}
	if s, err := LoadTest(raw); err != nil || s.N != TestCount || string(s.Images) != string(test.Images) {
		t.Errorf("LoadTest(raw copies) = %v; want the same 10000 images", err)
	}
	rawSums, _ := Checksums(raw)
	if rawSums[TestImagesFile] != KnownSHA256[TestImagesFile] {
		t.Errorf("raw %s digest %s; want the known %s", TestImagesFile, rawSums[TestImagesFile], KnownSHA256[TestImagesFile])
	}

	// The default split is deterministic and the validation set is balanced
	// enough: every class present with at least 400 of 5000.
	_, val, err := train.Split(5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	for c, n := range classCounts(val.Labels) {
		if n < 400 {
			t.Errorf("validation set has %d images of class %d; want at least 400", n, c)
		}
	}
}

func gunzipTo(t testing.TB, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
