package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/rakam-ml/rakam/imageprep"
	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/train"
)

// importOptions are the flags of "rakam data import".
type importOptions struct {
	src, to      string
	testFraction float64
	seed         uint64
	skipBad      bool
	force        bool
	json, quiet  bool
}

// importSummary is what "rakam data import --json" prints; Manifest (the
// source of every image, in the order of the IDX files) is left out of it
// and written to DIR/import.json with the rest.
type importSummary struct {
	Source        string            `json:"source"`
	Dir           string            `json:"dir"`
	Seed          uint64            `json:"seed"`
	TestFraction  float64           `json:"test_fraction"`
	Found         int               `json:"found"`  // image files found under the label directories
	Images        int               `json:"images"` // imported: train + test
	Train         int               `json:"train"`
	Test          int               `json:"test"`
	TrainPerLabel []int             `json:"train_per_label"` // index = digit
	TestPerLabel  []int             `json:"test_per_label"`
	Inverted      int               `json:"inverted"` // dark ink on light paper, turned the MNIST way
	Skipped       []skippedImage    `json:"skipped"`  // bad images left out (--skip-bad)
	Ignored       []string          `json:"ignored"`  // files that are not images by their name
	SHA256        map[string]string `json:"sha256"`   // of each file written, as in SHA256SUMS
	DatasetSHA256 string            `json:"dataset_sha256"`
	Manifest      *importManifest   `json:"manifest,omitempty"`
}

// importManifest names the source of every imported image, by split, in
// the order of the IDX files: image i of the training set came from
// Train[i].
type importManifest struct {
	Train []string `json:"train"`
	Test  []string `json:"test"`
}

// skippedImage is a bad image that --skip-bad left out.
type skippedImage struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// importManifestFile holds the import's summary and manifest in DIR.
const importManifestFile = "import.json"

// importStream is the PCG stream of the import's split (as mnist.Split has
// its own), so a seed never shares random numbers with training.
const importStream = 0x696d706f7274 // "import"

func runDataImport(ctx context.Context, e *env, args []string) error {
	var o importOptions
	fs := newFlags(e, "data import", "SRC --to DIR [--test-fraction F] [--seed N] [--skip-bad] [--force] [--json]", `
Imports your own digits: SRC holds one directory per label, 0 to 9, with the
images of that digit in it (subdirectories are read too; PNG, JPEG, GIF, BMP,
TIFF or WebP of any size, chosen by name: other files are listed as ignored).
Each image is prepared as 'rakam predict' prepares it (imageprep: ink found,
cropped, scaled into 20x20, centred by mass in 28x28) and the images are split
per label into a training and a test set, seeded (the same files and seed
give the same split and the same bytes). DIR receives the four MNIST-named IDX
files, which --data DIR reads in place of MNIST ('rakam train --init' to
fine-tune a model on them), SHA256SUMS (checked by 'rakam data info --data
DIR' and 'sha256sum -c'), and import.json (this summary plus the source file of
every image, in order).

A bad image (not an image, corrupt, too large, blank) fails the import with an
error naming its path; --skip-bad leaves it out and lists it. Nothing is
written until every image has been read: the files go to a temporary
directory next to DIR that is renamed to DIR at the end, so a failed or
interrupted import leaves DIR as it was. An existing DIR that is not empty is
replaced only with --force. See docs/data.md.`)
	fs.StringVar(&o.to, "to", "", "`DIR` to write the data set to (required)")
	fs.Float64Var(&o.testFraction, "test-fraction", 0.2, "share of each label's images put in the test set (0 < F < 1)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the split")
	fs.BoolVar(&o.skipBad, "skip-bad", false, "leave out images that cannot be read or hold no digit, and list them, instead of failing")
	fs.BoolVar(&o.force, "force", false, "replace DIR when it exists and is not empty")
	fs.BoolVar(&o.json, "json", false, "print one JSON object on stdout")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return usagef("SRC is required: a directory with one subdirectory per label, 0 to 9")
	case fs.NArg() > 1:
		return usagef("unexpected argument %q (one SRC only)", fs.Arg(1))
	case o.to == "":
		return usagef("--to DIR is required")
	case !(o.testFraction > 0 && o.testFraction < 1):
		return usagef("--test-fraction must be between 0 and 1 (exclusive), got %v", o.testFraction)
	}
	o.src = fs.Arg(0)
	if err := checkImportTarget(o); err != nil {
		return err
	}
	sum, err := importDigits(ctx, e, o)
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted; %s was left as it was", o.to)}
		}
		return err
	}
	if o.json {
		return writeJSON(e.stdout, sum)
	}
	printImportSummary(e.stdout, sum)
	return nil
}

// checkImportTarget refuses a DIR that would lose data: a non-empty one
// without --force, a file, SRC itself or a directory holding SRC.
func checkImportTarget(o importOptions) error {
	st, err := os.Stat(o.src)
	if err != nil {
		return err // *PathError names SRC
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory; SRC holds one directory per label, 0 to 9", o.src)
	}
	absSrc, err1 := realPath(o.src)
	absTo, err2 := realPath(o.to)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if rel, err := filepath.Rel(absTo, absSrc); err == nil && (rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))) {
		return usagef("--to %s would replace SRC %s (it is SRC or holds it); choose another DIR", o.to, o.src)
	}
	st, err = os.Stat(o.to)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--to: %w", err)
	case !st.IsDir():
		return fmt.Errorf("--to %s is a file, not a directory", o.to)
	}
	entries, err := os.ReadDir(o.to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if len(entries) > 0 && !o.force {
		return fmt.Errorf("--to %s is not empty (%d entries); give --force to replace it, or choose another DIR", o.to, len(entries))
	}
	return nil
}

// realPath is path made absolute with the symbolic links of its longest
// existing prefix resolved, so that two names of one directory compare equal.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest), nil
		}
		if filepath.Dir(p) == p {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

// importFile is one image found under SRC.
type importFile struct {
	path  string // as found: SRC joined with the rest
	label uint8
	test  bool
}

// findImages lists the images under SRC's label directories, sorted by
// label and then by path, and the files it ignored. Hidden files and
// directories (a leading dot) are passed over; a directory at the top that
// is not a label is an error, since it is most likely a mistake.
func findImages(src string) (files []importFile, ignored []string, err error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, nil, err
	}
	labels := 0
	for _, ent := range entries {
		name := ent.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(src, name)
		isDir, root := ent.IsDir(), path
		if ent.Type()&fs.ModeSymlink != 0 {
			if st, err := os.Stat(path); err == nil {
				isDir = st.IsDir()
			}
			// WalkDir does not follow a link, even at its root; a
			// trailing separator makes it look at the directory.
			root += string(filepath.Separator)
		}
		if !isDir {
			ignored = append(ignored, path)
			continue
		}
		if len(name) != 1 || name[0] < '0' || name[0] > '9' {
			return nil, nil, fmt.Errorf("%s: not a label directory; SRC holds one directory per digit, named 0 to 9", path)
		}
		labels++
		label := name[0] - '0'
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if strings.HasSuffix(d.Name(), showSuffix) || !slices.Contains(imageExts, strings.ToLower(filepath.Ext(d.Name()))) {
				ignored = append(ignored, p)
				return nil
			}
			files = append(files, importFile{path: p, label: label})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if labels == 0 {
		return nil, nil, fmt.Errorf("%s has no label directories; put the images of each digit in SRC/0 to SRC/9", src)
	}
	// ReadDir and WalkDir go in lexical order: files are sorted by label,
	// then by path.
	return files, ignored, nil
}

// splitImport marks round(n·fraction) of each label's n files as test
// images, chosen by a permutation seeded with seed. The choice depends only
// on the sorted list of each label's files and the seed, not on which
// images later turn out to be bad.
func splitImport(files []importFile, fraction float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, importStream))
	for start := 0; start < len(files); {
		end := start
		for end < len(files) && files[end].label == files[start].label {
			end++
		}
		n := end - start
		perm := mnist.Permutation(n, r)
		for _, i := range perm[:int(math.Round(float64(n)*fraction))] {
			files[start+i].test = true
		}
		start = end
	}
}

// importDigits reads and prepares every image, splits them and writes DIR.
func importDigits(ctx context.Context, e *env, o importOptions) (*importSummary, error) {
	files, ignored, err := findImages(o.src)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no image files (%s) in the label directories", o.src, strings.Join(imageExts, " "))
	}
	splitImport(files, o.testFraction, o.seed)
	log := e.stderr
	if o.quiet {
		log = io.Discard
	}
	fmt.Fprintf(log, "importing %d images from %s\n", len(files), o.src)
	pix, inverted, errs := prepareImports(ctx, files, newImportProgress(log, !o.quiet && train.IsTerminal(e.stderr), len(files)))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sum := &importSummary{Source: o.src, Dir: o.to, Seed: o.seed, TestFraction: o.testFraction, Found: len(files),
		TrainPerLabel: make([]int, mnist.NumClasses), TestPerLabel: make([]int, mnist.NumClasses),
		Skipped: []skippedImage{}, Ignored: ignored, Manifest: &importManifest{Train: []string{}, Test: []string{}}}
	if sum.Ignored == nil {
		sum.Ignored = []string{}
	}
	var bad []error
	for _, err := range errs {
		if err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 && !o.skipBad {
		more := ""
		if len(bad) > 1 {
			more = fmt.Sprintf(" (%d bad images in all)", len(bad))
		}
		return nil, fmt.Errorf("%w%s; --skip-bad leaves bad images out", bad[0], more)
	}
	const size = mnist.Rows * mnist.Cols
	trainSet := &mnist.Set{Rows: mnist.Rows, Cols: mnist.Cols}
	testSet := &mnist.Set{Rows: mnist.Rows, Cols: mnist.Cols}
	for i, f := range files {
		if errs[i] != nil {
			sum.Skipped = append(sum.Skipped, skippedImage{Path: f.path, Error: errs[i].Error()})
			fmt.Fprintf(log, "skipped %v\n", errs[i])
			continue
		}
		s, counts, list := trainSet, sum.TrainPerLabel, &sum.Manifest.Train
		if f.test {
			s, counts, list = testSet, sum.TestPerLabel, &sum.Manifest.Test
		}
		s.Images = append(s.Images, pix[i*size:(i+1)*size]...)
		s.Labels = append(s.Labels, f.label)
		s.N++
		counts[f.label]++
		*list = append(*list, f.path)
		if inverted[i] {
			sum.Inverted++
		}
	}
	sum.Train, sum.Test = trainSet.N, testSet.N
	sum.Images = sum.Train + sum.Test
	if sum.Train == 0 || sum.Test == 0 {
		return nil, fmt.Errorf("%d training and %d test images: too few images (%d readable) for a split with --test-fraction %v; both sets need at least one (add images or raise --test-fraction)",
			sum.Train, sum.Test, sum.Images, o.testFraction)
	}
	if err := writeImportDir(ctx, o, trainSet, testSet, sum); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "wrote %s\n", o.to)
	return sum, nil
}

// prepareImports prepares every file on GOMAXPROCS goroutines: pix holds
// image i's 784 pixels at i*784, errs[i] the error (naming the path) of an
// image that could not be prepared. The result does not depend on the
// order the goroutines run in.
func prepareImports(ctx context.Context, files []importFile, progress func()) (pix []uint8, inverted []bool, errs []error) {
	const size = mnist.Rows * mnist.Cols
	pix = make([]uint8, len(files)*size)
	inverted = make([]bool, len(files))
	errs = make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				d, err := prepareFile(files[i].path, nil)
				if err == nil {
					err = grayInto(pix[i*size:(i+1)*size], d)
					inverted[i] = d.Inverted
				}
				if err != nil {
					errs[i] = err
				}
				mu.Lock()
				progress()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return pix, inverted, errs
}

// grayInto copies a prepared digit's 28x28 bytes into dst.
func grayInto(dst []uint8, d *imageprep.Digit) error {
	g := d.Gray
	if g == nil || g.Rect.Dx() != mnist.Cols || g.Rect.Dy() != mnist.Rows {
		return fmt.Errorf("imageprep returned a %v image; want %dx%d", g.Rect, mnist.Cols, mnist.Rows)
	}
	for y := range mnist.Rows {
		off := g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y)
		copy(dst[y*mnist.Cols:(y+1)*mnist.Cols], g.Pix[off:off+mnist.Cols])
	}
	return nil
}

// newImportProgress returns a function called once per image: a bar on a
// terminal, else a line at every tenth of the images.
func newImportProgress(w io.Writer, terminal bool, n int) func() {
	if w == io.Discard {
		return func() {}
	}
	if terminal {
		bar := progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("images"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
		return func() { bar.Add(1) }
	}
	done, step := 0, max(n/10, 1)
	return func() {
		done++
		if done%step == 0 || done == n {
			fmt.Fprintf(w, "prepared %d of %d images\n", done, n)
		}
	}
}

// writeImportDir writes the sets, SHA256SUMS and import.json into a new
// directory next to DIR and then puts it in DIR's place, so that DIR is
// never seen half-written: a failure or an interrupt before the rename
// leaves DIR as it was.
func writeImportDir(ctx context.Context, o importOptions, trainSet, testSet *mnist.Set, sum *importSummary) (err error) {
	parent, base := filepath.Dir(filepath.Clean(o.to)), filepath.Base(filepath.Clean(o.to))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".import-*")
	if err != nil {
		return fmt.Errorf("--to %s: %w", o.to, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if sum.SHA256, err = mnist.WriteDir(tmp, trainSet, testSet); err != nil {
		return err
	}
	if sum.DatasetSHA256, err = mnist.DatasetSHA256(tmp); err != nil {
		return err
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, importManifestFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	sum.Manifest = nil // stdout gets the summary, the file the lists too
	if err := ctx.Err(); err != nil {
		return err
	}
	return replaceDir(tmp, o.to)
}

// replaceDir puts directory tmp in dir's place. A missing or empty dir is
// replaced by one rename; a full one (checkImportTarget allowed it with
// --force) is first moved aside and removed after the rename, and moved
// back should the rename fail.
func replaceDir(tmp, dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("--to: %w", err)
	case len(entries) == 0:
		if err := os.Remove(dir); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	default:
		old := tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("--to: moving the old %s aside: %w", dir, err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			if rerr := os.Rename(old, dir); rerr != nil {
				return fmt.Errorf("--to: %w; the old directory is at %s", err, old)
			}
			return fmt.Errorf("--to: %w", err)
		}
		syncDir(filepath.Dir(dir))
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("--to: the new %s is in place, but removing the old one at %s: %w", dir, old, err)
		}
		return nil
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	syncDir(filepath.Dir(dir))
	return nil
}

// syncDir makes a rename in dir durable where the filesystem allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func printImportSummary(w io.Writer, s *importSummary) {
	fmt.Fprintf(w, "imported %d of %d images from %s into %s: %d train, %d test (seed %d, test fraction %v)\n\n",
		s.Images, s.Found, s.Source, s.Dir, s.Train, s.Test, s.Seed, s.TestFraction)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "digit\ttrain\ttest\t")
	for c := range mnist.NumClasses {
		fmt.Fprintf(tw, "%d\t%d\t%d\t\n", c, s.TrainPerLabel[c], s.TestPerLabel[c])
	}
	tw.Flush()
	if s.Inverted > 0 {
		fmt.Fprintf(w, "\n%d images had dark ink on a light background and were inverted, as MNIST is white on black\n", s.Inverted)
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "\nskipped %d bad images:\n", len(s.Skipped))
		for _, b := range s.Skipped {
			fmt.Fprintf(w, "  %s\n", b.Error)
		}
	}
	if len(s.Ignored) > 0 {
		fmt.Fprintf(w, "\nignored %d files that are not images by their name (%s)\n", len(s.Ignored), strings.Join(imageExts, " "))
	}
	fmt.Fprintf(w, "\ndataset sha256 %s; train on it with --data %s\n", s.DatasetSHA256, s.Dir)
}
