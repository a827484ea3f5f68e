package mnist

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KnownSHA256 holds the SHA-256 digests of the original MNIST files, both as
// distributed (gzip) and decompressed, keyed by file name. Downloads are
// verified against them; "rakam data info" reports whether a directory
// matches. (Digests taken from the copies in the GoMNIST module, which are
// byte-identical to the files LeCun et al. published.)
var KnownSHA256 = map[string]string{
	"train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
	"train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
	"t10k-images-idx3-ubyte.gz":  "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
	"t10k-labels-idx1-ubyte.gz":  "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
	"train-images-idx3-ubyte":    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
	"train-labels-idx1-ubyte":    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
	"t10k-images-idx3-ubyte":     "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
	"t10k-labels-idx1-ubyte":     "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

// OriginalDatasetSHA256 is what DatasetSHA256 returns for the original MNIST
// files, compressed or not.
const OriginalDatasetSHA256 = "d0a3eec1f5a454401d758fdbf15b9b0163a7034963586d671960c180b97e2c1a"

// Checksums returns the SHA-256 (hex) of each MNIST file found in dir, keyed
// by file name as found (for example "train-images-idx3-ubyte.gz").
func Checksums(dir string) (map[string]string, error) {
	sums := make(map[string]string)
	for _, base := range Files {
		p, err := FindFile(dir, base)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sum, err := fileSHA256(p)
		if err != nil {
			return nil, err
		}
		sums[filepath.Base(p)] = sum
	}
	return sums, nil
}

// DatasetSHA256 returns one digest for the four MNIST files in dir, for model
// metadata. It is the SHA-256 of the listing that "sha256sum" prints for the
// four decompressed files in the order of Files ("<hex>  <name>\n" each), so
// it does not change when the files are stored raw instead of gzip, and it
// can be checked with standard tools:
//
//	for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
//	  gunzip -c $f.gz | sha256sum | sed "s/-\$/$f/"; done | sha256sum
//
// Files whose compressed digest is known are not decompressed.
func DatasetSHA256(dir string) (string, error) {
	var listing strings.Builder
	for _, base := range Files {
		p, err := FindFile(dir, base)
		if err != nil {
			return "", err
		}
		sum, err := contentSHA256(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&listing, "%s  %s\n", sum, base)
	}
	d := sha256.Sum256([]byte(listing.String()))
	return hex.EncodeToString(d[:]), nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("mnist: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// contentSHA256 is the digest of the decompressed IDX bytes of path.
func contentSHA256(path string) (string, error) {
	name := filepath.Base(path)
	if strings.HasSuffix(name, ".gz") {
		sum, err := fileSHA256(path)
		if err != nil {
			return "", err
		}
		if sum == KnownSHA256[name] {
			return KnownSHA256[strings.TrimSuffix(name, ".gz")], nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	var head [2]byte
	if n, _ := io.ReadFull(f, head[:]); n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("mnist: %s: %w", path, err)
		}
		gz, err := gzip.NewReader(f)
		if err != nil {
			return "", &FormatError{File: path, Offset: -1, Msg: "bad gzip header: " + err.Error(), Err: err}
		}
		gz.Multistream(false)
		r = gz
	} else if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("mnist: %s: %w", path, err)
	}
	h := sha256.New()
	// The cap keeps a decompression bomb from running for ever.
	n, err := io.Copy(h, io.LimitReader(r, MaxBytes+16+1))
	if err != nil {
		return "", &FormatError{File: path, Offset: n, Msg: "reading: " + err.Error(), Err: err}
	}
	if n > MaxBytes+16 {
		return "", &FormatError{File: path, Offset: n, Msg: "decompresses to more than the limit", Err: ErrTooLarge}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SumsFile is the checksum listing of a directory written by WriteDir (an
// imported data set): one "<hex SHA-256>  <file name>" line per file, the
// format of sha256sum, so "sha256sum -c SHA256SUMS" checks it too.
const SumsFile = "SHA256SUMS"

// ErrBadSums is wrapped by ReadSums' error for a malformed SumsFile. (The
// other sentinels are in idx.go.)
var ErrBadSums = errors.New("mnist: malformed checksum listing")

// maxSumsBytes bounds the SumsFile read: four lines take about 330 bytes.
const maxSumsBytes = 64 << 10

// ReadSums reads dir's SumsFile and returns its digests keyed by file name.
// A directory without one gives an error wrapping ErrNotFound; a malformed
// line is a *FormatError naming the line.
func ReadSums(dir string) (map[string]string, error) {
	path := filepath.Join(dir, SumsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFoundf("mnist: %s: no %s", dir, SumsFile)
	}
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSumsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %w", path, err)
	}
	if len(b) > maxSumsBytes {
		return nil, &FormatError{File: path, Offset: maxSumsBytes, Err: ErrTooLarge, Msg: fmt.Sprintf("larger than %d bytes; a checksum listing of four files is a few hundred", maxSumsBytes)}
	}
	sums := make(map[string]string)
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		// sha256sum writes "<hex>  <name>" (text mode) or "<hex> *<name>"
		// (binary mode); both name the same bytes.
		sum, name, ok := strings.Cut(line, " ")
		name, star := strings.CutPrefix(name, "*")
		if !star {
			name, ok = strings.CutPrefix(name, " ")
		}
		if _, herr := hex.DecodeString(sum); !ok || herr != nil || len(sum) != 2*sha256.Size || name == "" || strings.ContainsAny(name, "/\\") {
			return nil, &FormatError{File: path, Offset: -1, Err: ErrBadSums,
				Msg: fmt.Sprintf("line %d is %q; want a 64-digit hex SHA-256, two spaces and a file name", i+1, line)}
		}
		sums[name] = strings.ToLower(sum)
	}
	return sums, nil
}

// ExpectedSHA256 returns the digests the files in dir should have and where
// they come from: dir's SumsFile when it has one (an imported set: from is
// SumsFile), else the original MNIST's KnownSHA256 (from is "the original").
func ExpectedSHA256(dir string) (sums map[string]string, from string, err error) {
	sums, err = ReadSums(dir)
	if errors.Is(err, ErrNotFound) {
		return KnownSHA256, "the original", nil
	}
	if err != nil {
		return nil, "", err
	}
	return sums, SumsFile, nil
}
