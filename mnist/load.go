package mnist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The four MNIST files, by their original names (without ".gz").
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// Files lists the four MNIST file names in a fixed order: training images,
// training labels, test images, test labels.
var Files = []string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// Sizes of the original MNIST sets.
const (
	TrainCount = 60000
	TestCount  = 10000
	Rows       = 28
	Cols       = 28
)

// FindFile returns the path of base (an entry of Files) in dir, trying the
// gzip name base+".gz" first and then the raw name.
func FindFile(dir, base string) (string, error) {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("mnist: %w", err)
		}
	}
	return "", notFoundf("mnist: %s: neither %s.gz nor %s found", dir, base, base)
}

// LoadTrain reads the 60000 training images and labels from dir.
func LoadTrain(dir string) (*Set, error) {
	return loadPair(dir, TrainImagesFile, TrainLabelsFile)
}

// LoadTest reads the 10000 test images and labels from dir.
func LoadTest(dir string) (*Set, error) {
	return loadPair(dir, TestImagesFile, TestLabelsFile)
}

// LoadFiles reads an image file and a label file (raw or gzip) into a Set,
// checking that the counts agree. Any image size is accepted.
func LoadFiles(imagesPath, labelsPath string) (*Set, error) {
	pix, n, rows, cols, err := readImagesFile(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := readLabelsFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(labels) != n {
		return nil, &FormatError{File: labelsPath, Offset: -1, Err: ErrCountMismatch,
			Msg: fmt.Sprintf("%d images in %s but %d labels", n, filepath.Base(imagesPath), len(labels))}
	}
	return &Set{Images: pix, Labels: labels, N: n, Rows: rows, Cols: cols}, nil
}

func loadPair(dir, imagesBase, labelsBase string) (*Set, error) {
	ip, err := FindFile(dir, imagesBase)
	if err != nil {
		return nil, err
	}
	lp, err := FindFile(dir, labelsBase)
	if err != nil {
		return nil, err
	}
	s, err := LoadFiles(ip, lp)
	if err != nil {
		return nil, err
	}
	if s.N == 0 {
		return nil, &FormatError{File: ip, Offset: -1, Err: ErrBadShape, Msg: "holds no images"}
	}
	if s.Rows != Rows || s.Cols != Cols {
		return nil, &FormatError{File: ip, Offset: -1, Err: ErrBadShape,
			Msg: fmt.Sprintf("images are %dx%d, MNIST images are %dx%d", s.Rows, s.Cols, Rows, Cols)}
	}
	return s, nil
}

func readImagesFile(path string) ([]uint8, int, int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	return ReadImages(f, path)
}

func readLabelsFile(path string) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	return ReadLabels(f, path)
}
