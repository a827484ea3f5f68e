package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/internal/testbad"
	"github.com/rakam-ml/rakam/mnist"
)

// digitFolder writes the first n MNIST test digits as PNG files, dark ink on
// white and twice the size (as a scan would be), into src/<label>/, and
// returns the labels in file order (label, then name).
func digitFolder(t *testing.T, src string, n int) []uint8 {
	t.Helper()
	dir, err := mnist.Locate("")
	if err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := filepath.Join(src, fmt.Sprint(test.Labels[i]), fmt.Sprintf("%05d.png", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, relDigitPNG(test.Image(i), 2), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	labels := slices.Clone(test.Labels[:n])
	slices.Sort(labels)
	return labels
}

// importJSON runs rakam data import --json and decodes its summary.
func importJSON(t *testing.T, args ...string) (int, *importSummary, string) {
	t.Helper()
	code, out, errs := runCLI(t, append([]string{"data", "import", "--json"}, args...)...)
	if code != 0 {
		return code, nil, errs
	}
	var s importSummary
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&s); err != nil || dec.More() {
		t.Fatalf("rakam data import --json: stdout is not one JSON object (%v):\n%s", err, out)
	}
	return code, &s, errs
}

// dirState lists a directory's files with their contents, to tell whether a
// failed command left it alone.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			state[p] = string(b)
		}
		return nil
	})
	return state
}

func TestDataImportUsage(t *testing.T) {
	src := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "import"}, "SRC is required"},
		{[]string{"data", "import", src}, "--to DIR is required"},
		{[]string{"data", "import", src, "other", "--to", "x"}, `unexpected argument "other"`},
		{[]string{"data", "import", src, "--to", "x", "--test-fraction", "0"}, "--test-fraction must be between 0 and 1"},
		{[]string{"data", "import", src, "--to", "x", "--test-fraction", "1"}, "--test-fraction must be between 0 and 1"},
		{[]string{"data", "import", src, "--to", "x", "--test-fraction", "NaN"}, "--test-fraction must be between 0 and 1"},
		{[]string{"data", "import", src, "--to", src, "--force"}, "would replace SRC"},
		{[]string{"data", "import", src, "--to", filepath.Dir(src), "--force"}, "would replace SRC"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("rakam %s = %d, %q; want exit 2 and %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
	code, out, _ := runCLI(t, "data", "import", "--help")
	if code != 0 || !strings.Contains(out, "Usage: rakam data import SRC --to DIR") || !strings.Contains(out, "--skip-bad") {
		t.Errorf("rakam data import --help = %d, %q", code, out)
	}
}

// TestSplitImport: the split takes round(n·fraction) of each label, depends
// only on the files and the seed, and another seed picks other files.
func TestSplitImport(t *testing.T) {
	counts := []int{0: 10, 1: 7, 2: 1, 3: 0, 4: 25, 5: 3}
	var files []importFile
	for label, n := range counts {
		for i := range n {
			files = append(files, importFile{path: fmt.Sprintf("%d/%02d.png", label, i), label: uint8(label)})
		}
	}
	split := func(seed uint64) []bool {
		fs := slices.Clone(files)
		splitImport(fs, 0.2, seed)
		var test []bool
		for _, f := range fs {
			test = append(test, f.test)
		}
		return test
	}
	a, b, other := split(1), split(1), split(2)
	if !slices.Equal(a, b) {
		t.Error("splitImport with the same seed chose different test images")
	}
	if slices.Equal(a, other) {
		t.Error("splitImport with seeds 1 and 2 chose the same test images")
	}
	want := map[uint8]int{0: 2, 1: 1, 2: 0, 4: 5, 5: 1} // round(n·0.2)
	got := map[uint8]int{}
	for i, f := range files {
		if a[i] {
			got[f.label]++
		}
	}
	for label, n := range want {
		if got[label] != n {
			t.Errorf("label %d: %d test images of %d; want %d (stratified, round(n·0.2))", label, got[label], counts[label], n)
		}
	}
}

// TestDataImport imports a folder of PNG digits and checks what DIR holds:
// the four IDX files loading as a data set with the right labels and
// counts, checksums that data info verifies (and a changed byte that it
// reports), the same bytes for the same seed, and refusal to overwrite.
func TestDataImport(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	labels := digitFolder(t, src, 200)
	os.WriteFile(filepath.Join(src, "README.txt"), []byte("my digits"), 0o644)
	os.WriteFile(filepath.Join(src, "3", "notes.txt"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(src, ".git"), 0o755)
	dir := filepath.Join(root, "digits")
	code, sum, errs := importJSON(t, src, "--to", dir, "--test-fraction", "0.25", "--seed", "3")
	if code != 0 {
		t.Fatalf("rakam data import = %d: %s", code, errs)
	}
	wantPer := make([]int, mnist.NumClasses)
	for _, l := range labels {
		wantPer[l]++
	}
	if sum.Found != 200 || sum.Images != 200 || sum.Train+sum.Test != 200 || len(sum.Skipped) != 0 || len(sum.Ignored) != 2 {
		t.Errorf("summary: found %d, images %d, train %d + test %d, skipped %v, ignored %v; want 200 images, 2 ignored",
			sum.Found, sum.Images, sum.Train, sum.Test, sum.Skipped, sum.Ignored)
	}
	if sum.Inverted != 200 {
		t.Errorf("%d images inverted; want all 200 (dark ink on white)", sum.Inverted)
	}
	for c := range mnist.NumClasses {
		if sum.TrainPerLabel[c]+sum.TestPerLabel[c] != wantPer[c] {
			t.Errorf("digit %d: %d train + %d test; want %d in all", c, sum.TrainPerLabel[c], sum.TestPerLabel[c], wantPer[c])
		}
		if want := int(float64(wantPer[c])*0.25 + 0.5); sum.TestPerLabel[c] != want {
			t.Errorf("digit %d: %d test images of %d; want %d (a quarter, per label)", c, sum.TestPerLabel[c], wantPer[c], want)
		}
	}
	train, err := mnist.LoadTrain(dir)
	if err != nil {
		t.Fatal(err)
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != sum.Train || test.N != sum.Test {
		t.Errorf("DIR holds %d train and %d test images; the summary says %d and %d", train.N, test.N, sum.Train, sum.Test)
	}
	// The manifest names each image's source, whose directory is its label.
	var man importSummary
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, importManifestFile)), &man); err != nil || man.Manifest == nil {
		t.Fatalf("%s: %v", importManifestFile, err)
	}
	for i, p := range man.Manifest.Test {
		if l := filepath.Base(filepath.Dir(p)); l != fmt.Sprint(test.Labels[i]) {
			t.Fatalf("test image %d has label %d but came from %s", i, test.Labels[i], p)
		}
	}
	// A prepared image is MNIST-like: white ink on black, mostly background.
	var ink int
	for _, v := range train.Image(0) {
		if v > 128 {
			ink++
		}
	}
	if train.Image(0)[0] != 0 || ink < 30 || ink > 400 {
		t.Errorf("the first training image has corner %d and %d ink pixels; want 0 and a digit's worth", train.Image(0)[0], ink)
	}

	// data info verifies the checksums from SHA256SUMS...
	code, out, errs := runCLI(t, "data", "info", "--data", dir, "--json")
	var info dataInfo
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil {
		t.Fatalf("rakam data info = %d, %s", code, errs)
	}
	if !info.ChecksumsMatch || info.ChecksumsFrom != mnist.SumsFile || info.Original || info.DatasetSHA256 != sum.DatasetSHA256 || len(info.Files) != 4 {
		t.Errorf("data info: checksums_match %v from %q original %v dataset %s (%d files); want a match from %s and %s",
			info.ChecksumsMatch, info.ChecksumsFrom, info.Original, info.DatasetSHA256, len(info.Files), mnist.SumsFile, sum.DatasetSHA256)
	}
	code, out, _ = runCLI(t, "data", "info", "--data", dir)
	if code != 0 || !strings.Contains(out, "every file matches SHA256SUMS") || strings.Contains(out, "DIFFERS") {
		t.Errorf("rakam data info = %d:\n%s\nwant every file matching SHA256SUMS", code, out)
	}
	// ... and reports a changed byte (a valid file that is not what was written).
	changed := filepath.Join(root, "changed")
	os.MkdirAll(changed, 0o755)
	for p, b := range dirState(t, dir) {
		if filepath.Base(p) == mnist.TestLabelsFile {
			b = b[:len(b)-1] + string(rune((b[len(b)-1]+1)%10))
		}
		os.WriteFile(filepath.Join(changed, filepath.Base(p)), []byte(b), 0o644)
	}
	code, out, _ = runCLI(t, "data", "info", "--data", changed)
	if code != 0 || !strings.Contains(out, mnist.TestLabelsFile) || !strings.Contains(out, "DIFFERS from SHA256SUMS") || !strings.Contains(out, "files DIFFER") {
		t.Errorf("rakam data info on a changed label = %d:\n%s\nwant the file reported as differing from SHA256SUMS", code, out)
	}

	// The same files and seed: the same bytes. Another seed: another split.
	again := filepath.Join(root, "again")
	if code, sum2, errs := importJSON(t, src, "--to", again, "--test-fraction", "0.25", "--seed", "3"); code != 0 || sum2.DatasetSHA256 != sum.DatasetSHA256 {
		t.Errorf("a second import with the same seed = %d (%s), dataset %v; want %s", code, errs, sum2, sum.DatasetSHA256)
	}
	before := dirState(t, dir)
	code, _, errs = runCLI(t, "data", "import", src, "--to", dir, "--seed", "4")
	if code != exitFailure || !strings.Contains(errs, "not empty") || !strings.Contains(errs, "--force") {
		t.Errorf("import into a full DIR = %d, %q; want exit 1 and a hint at --force", code, errs)
	}
	if !mapsEqual(before, dirState(t, dir)) {
		t.Error("a refused import changed DIR")
	}
	code, sum4, errs := importJSON(t, src, "--to", dir, "--test-fraction", "0.25", "--seed", "4", "--force")
	if code != 0 || sum4.DatasetSHA256 == sum.DatasetSHA256 {
		t.Errorf("import --force with seed 4 = %d (%s); want another data set than seed 3's", code, errs)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 4 { // src, digits, changed, again: no temporary left
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %v; want src, digits, changed and again only", root, names)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDataImportBadImages: a corrupt image fails the import with its path
// named and DIR untouched (absent or as it was); --skip-bad leaves it out
// and lists it; a blank image and a non-label directory are named too.
func TestDataImportBadImages(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	digitFolder(t, src, 40)
	good := mustRead(t, filepath.Join(src, "7", "00000.png"))
	corrupt := filepath.Join(src, "7", "corrupt.png")
	os.WriteFile(corrupt, good[:len(good)/2], 0o644)
	blank := filepath.Join(src, "1", "blank.png")
	var white bytes.Buffer
	white.Write(relDigitPNG(make([]uint8, 784), 1))
	os.WriteFile(blank, white.Bytes(), 0o644)

	for _, existing := range []bool{false, true} {
		dir := filepath.Join(root, fmt.Sprint("dir-", existing))
		if existing {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644)
		}
		before := dirState(t, dir)
		args := []string{"data", "import", src, "--to", dir}
		if existing {
			args = append(args, "--force")
		}
		code, _, errs := runCLI(t, args...)
		last := lastLine(errs)
		if code != exitFailure || !strings.Contains(last, blank) || !strings.Contains(last, "2 bad images in all") || !strings.Contains(last, "--skip-bad") {
			t.Errorf("import with bad images (DIR existing %v) = %d, last line %q; want exit 1 naming %s", existing, code, last, blank)
		}
		if !mapsEqual(before, dirState(t, dir)) {
			t.Errorf("a failed import changed DIR (existing %v)", existing)
		}
		if entries, _ := os.ReadDir(root); len(entries) != 1+boolInt(existing) {
			t.Errorf("a failed import left %d entries in %s", len(entries), root)
		}
	}
	// A PNG declaring 100,000 x 100,000 pixels is refused before decoding.
	bomb := filepath.Join(src, "2", "huge.png")
	os.WriteFile(bomb, testbad.PNGBomb(100000, 100000), 0o644)
	code, sum, errs := importJSON(t, src, "--to", filepath.Join(root, "with-bomb"), "--skip-bad")
	if code != 0 || len(sum.Skipped) != 3 || sum.Skipped[1].Path != bomb || !strings.Contains(sum.Skipped[1].Error, "too large") {
		t.Errorf("import --skip-bad with a PNG bomb = %d (%s), skipped %v; want the blank, the bomb (too large) and the corrupt image skipped", code, errs, sum)
	}
	os.Remove(bomb)
	os.Remove(blank)
	dir := filepath.Join(root, "out")
	code, _, errs = runCLI(t, "data", "import", src, "--to", dir)
	if code != exitFailure || !strings.Contains(lastLine(errs), corrupt) {
		t.Errorf("import with a corrupt image = %d, %q; want exit 1 naming %s", code, lastLine(errs), corrupt)
	}
	code, sum, errs = importJSON(t, src, "--to", dir, "--skip-bad")
	if code != 0 {
		t.Fatalf("import --skip-bad = %d: %s", code, errs)
	}
	if len(sum.Skipped) != 1 || sum.Skipped[0].Path != corrupt || !strings.Contains(sum.Skipped[0].Error, "corrupt") || sum.Images != 40 || sum.Found != 41 {
		t.Errorf("import --skip-bad: skipped %v, %d of %d images; want %s skipped as corrupt and 40 of 41 imported", sum.Skipped, sum.Images, sum.Found, corrupt)
	}
	if !strings.Contains(errs, "skipped "+corrupt) {
		t.Errorf("stderr does not report the skipped image:\n%s", errs)
	}

	os.MkdirAll(filepath.Join(src, "seven"), 0o755)
	code, _, errs = runCLI(t, "data", "import", src, "--to", filepath.Join(root, "x"))
	if code != exitFailure || !strings.Contains(errs, filepath.Join(src, "seven")+": not a label directory") {
		t.Errorf("import with a directory named seven = %d, %q; want exit 1 naming it", code, errs)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDataImportInterrupted: an import whose context is cancelled exits
// 130 and leaves DIR as it was, with no temporary directory beside it.
func TestDataImportInterrupted(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	digitFolder(t, src, 30)
	dir := filepath.Join(root, "dir")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("old"), 0o644)
	before := dirState(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"data", "import", src, "--to", dir, "--force"}, strings.NewReader(""), &out, &errb)
	if code != exitInterrupted || !strings.Contains(errb.String(), "was left as it was") {
		t.Errorf("interrupted import = %d, %q; want %d", code, errb.String(), exitInterrupted)
	}
	if !mapsEqual(before, dirState(t, dir)) {
		t.Error("an interrupted import changed DIR")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 2 {
		t.Errorf("an interrupted import left %d entries beside DIR; want src and dir only", len(entries))
	}
}

// TestReplaceDir: the new directory takes DIR's place whether DIR is
// missing, empty or full, leaving nothing beside it; when the rename
// fails, a full DIR is put back as it was.
func TestReplaceDir(t *testing.T) {
	for _, tc := range []string{"missing", "empty", "full", "rename fails"} {
		root := t.TempDir()
		dir, tmp := filepath.Join(root, "dir"), filepath.Join(root, ".dir.import-1")
		if tc != "rename fails" {
			os.MkdirAll(tmp, 0o755)
			os.WriteFile(filepath.Join(tmp, "new"), []byte("new"), 0o644)
		}
		if tc != "missing" {
			os.MkdirAll(dir, 0o755)
		}
		if tc == "full" || tc == "rename fails" {
			os.WriteFile(filepath.Join(dir, "old"), []byte("old"), 0o644)
		}
		before := dirState(t, dir)
		err := replaceDir(tmp, dir)
		entries, _ := os.ReadDir(root)
		if tc == "rename fails" {
			if err == nil || !mapsEqual(before, dirState(t, dir)) || len(entries) != 1 {
				t.Errorf("replaceDir(%s) = %v, %d entries; want an error and DIR put back as it was", tc, err, len(entries))
			}
			continue
		}
		want := map[string]string{filepath.Join(dir, "new"): "new"}
		if err != nil || !mapsEqual(want, dirState(t, dir)) || len(entries) != 1 {
			t.Errorf("replaceDir(%s) = %v, DIR %v, %d entries in its parent; want DIR holding the new file only, alone", tc, err, dirState(t, dir), len(entries))
		}
	}
}

// TestFindImagesFollowsLinkedLabels: a label directory that is a symbolic
// link is read like any other.
func TestFindImagesFollowsLinkedLabels(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	for _, name := range []string{"a.png", "b.jpg", "notes.txt"} {
		os.MkdirAll(real, 0o755)
		os.WriteFile(filepath.Join(real, name), []byte("x"), 0o644)
	}
	src := filepath.Join(root, "src")
	os.MkdirAll(src, 0o755)
	if err := os.Symlink(real, filepath.Join(src, "5")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	files, ignored, err := findImages(src)
	if err != nil || len(files) != 2 || len(ignored) != 1 || files[0].label != 5 || files[0].path != filepath.Join(src, "5", "a.png") {
		t.Errorf("findImages(linked label) = %+v, ignored %v, %v; want a.png and b.jpg with label 5, notes.txt ignored", files, ignored, err)
	}
}
