package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rakam-ml/rakam/internal/atomicfile"
)

// WriteDir writes train and test into dir (which must exist) as the four
// raw IDX files under the names of Files, then SumsFile listing their
// SHA-256 digests, so that LoadTrain, LoadTest, Locate and DatasetSHA256
// read the directory as they read MNIST, and "sha256sum -c SHA256SUMS" (or
// "rakam data info") can check it later. Each file is written atomically
// (a temporary file, fsynced and renamed); SumsFile comes last, so a
// directory whose SumsFile is there holds the four files it lists.
//
// Both sets must hold at least one Rows x Cols image and one label 0..9
// per image: what LoadTrain and LoadTest accept. WriteDir returns the
// digests it wrote, keyed by file name.
func WriteDir(dir string, train, test *Set) (map[string]string, error) {
	for _, s := range []struct {
		name string
		set  *Set
	}{{"training set", train}, {"test set", test}} {
		if err := checkWritable(s.set); err != nil {
			return nil, fmt.Errorf("mnist: WriteDir: %s: %w", s.name, err)
		}
	}
	sums := make(map[string]string, len(Files))
	var listing strings.Builder
	for i, base := range Files {
		s := train
		if i >= 2 {
			s = test
		}
		var b bytes.Buffer
		var err error
		if i%2 == 0 {
			err = WriteImages(&b, s.Images, s.N, s.Rows, s.Cols)
		} else {
			err = WriteLabels(&b, s.Labels)
		}
		if err != nil {
			return nil, err
		}
		d := sha256.Sum256(b.Bytes())
		sums[base] = hex.EncodeToString(d[:])
		if err := atomicfile.WriteFile(filepath.Join(dir, base), b.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("mnist: %w", err)
		}
		fmt.Fprintf(&listing, "%s  %s\n", sums[base], base)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, SumsFile), []byte(listing.String()), 0o644); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	return sums, nil
}

// checkWritable reports why s would not load back as a data set.
func checkWritable(s *Set) error {
	switch {
	case s == nil || s.N < 1:
		return fmt.Errorf("no images; LoadTrain and LoadTest refuse an empty set")
	case s.Rows != Rows || s.Cols != Cols:
		return fmt.Errorf("images are %dx%d; want %dx%d", s.Rows, s.Cols, Rows, Cols)
	case len(s.Images) != s.N*s.Rows*s.Cols:
		return fmt.Errorf("%d pixels for %d images of %dx%d", len(s.Images), s.N, s.Rows, s.Cols)
	case len(s.Labels) != s.N:
		return fmt.Errorf("%d labels for %d images", len(s.Labels), s.N)
	}
	for i, l := range s.Labels {
		if l >= NumClasses {
			return fmt.Errorf("label %d of image %d is not a digit 0..%d", l, i, NumClasses-1)
		}
	}
	return nil
}
