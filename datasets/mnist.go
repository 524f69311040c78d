package datasets

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DigitNames are the class names of MNIST: "0" to "9".
var DigitNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// MNIST holds the 60,000 training and 10,000 test digits of MNIST, 28×28.
type MNIST struct {
	Train, Test *ImageSet
}

// MNISTFile describes one of the four original MNIST files.
type MNISTFile struct {
	Name   string // base name without ".gz", e.g. "train-images-idx3-ubyte"
	Magic  uint32 // IDXMagicImages or IDXMagicLabels
	SHA256 string // hex SHA-256 of the original gzipped file (Name + ".gz")
	Size   int64  // size in bytes of the gzipped file
}

// MNISTFiles lists the four original MNIST files with the checksums of their
// gzipped forms (as published on Yann LeCun's page and verified in the data
// README).
var MNISTFiles = []MNISTFile{
	{"train-images-idx3-ubyte", IDXMagicImages, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422},
	{"train-labels-idx1-ubyte", IDXMagicLabels, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881},
	{"t10k-images-idx3-ubyte", IDXMagicImages, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877},
	{"t10k-labels-idx1-ubyte", IDXMagicLabels, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542},
}

// MNIST image size.
const (
	MNISTHeight = 28
	MNISTWidth  = 28
)

// FindMNISTFile returns the path of the MNIST file with the given base name
// (e.g. "train-images-idx3-ubyte") in dir. It accepts the name as is, with
// ".gz", and the variant with a dot before "idx" ("train-images.idx3-ubyte")
// that some mirrors use. The error wraps fs.ErrNotExist when none is found.
func FindMNISTFile(dir, base string) (string, error) {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	for _, name := range []string{base, base + ".gz", dotted, dotted + ".gz"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: no %s or %s.gz: %w", dir, base, base, fs.ErrNotExist)
}

// LoadMNIST reads the four MNIST IDX files (gzipped or not) from dir, usually
// filepath.Join(DataDir(), "mnist"). It checks magic numbers, dimensions
// (28×28), body sizes, that image and label counts agree, and that labels
// are digits.
func LoadMNIST(dir string) (*MNIST, error) {
	train, err := loadMNISTPair(dir, "train", "MNIST/Train")
	if err != nil {
		return nil, err
	}
	test, err := loadMNISTPair(dir, "t10k", "MNIST/Test")
	if err != nil {
		return nil, err
	}
	return &MNIST{Train: train, Test: test}, nil
}

func loadMNISTPair(dir, prefix, name string) (*ImageSet, error) {
	imgPath, err := FindMNISTFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, fmt.Errorf("loading MNIST: %w (put the four MNIST files there, or call DownloadMNIST)", err)
	}
	lblPath, err := FindMNISTFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, fmt.Errorf("loading MNIST: %w (put the four MNIST files there, or call DownloadMNIST)", err)
	}
	return LoadIDXImageSet(imgPath, lblPath, name, MNISTHeight, MNISTWidth, DigitNames)
}

// LoadIDXImageSet reads an IDX images file (magic 2051) and an IDX labels
// file (magic 2049) into an ImageSet. If height and width are positive the
// images must have that size. Labels must be below len(classNames).
func LoadIDXImageSet(imagesPath, labelsPath, name string, height, width int, classNames []string) (*ImageSet, error) {
	imgs, err := ReadIDXFile(imagesPath, IDXMagicImages)
	if err != nil {
		return nil, err
	}
	n, h, w := imgs.Dims[0], imgs.Dims[1], imgs.Dims[2]
	if height > 0 && width > 0 && (h != height || w != width) {
		return nil, offsetError(imagesPath, 8, nil, "images are %d×%d, expected %d×%d", h, w, height, width)
	}
	lbls, err := ReadIDXFile(labelsPath, IDXMagicLabels)
	if err != nil {
		return nil, err
	}
	if lbls.Dims[0] != n {
		return nil, offsetError(labelsPath, 4, nil, "%d labels, expected %d (the number of images in %s)", lbls.Dims[0], n, imagesPath)
	}
	labels := make([]int32, n)
	for i, l := range lbls.Data {
		if int(l) >= len(classNames) {
			return nil, offsetError(labelsPath, 8+int64(i), nil, "label %d, expected 0..%d", l, len(classNames)-1)
		}
		labels[i] = int32(l)
	}
	return &ImageSet{Name: name, Height: h, Width: w, Pixels: imgs.Data, Labels: labels, ClassNames: classNames}, nil
}

// LoadMNISTDir is LoadMNIST(filepath.Join(dataDir, "mnist")).
func LoadMNISTDir(dataDir string) (*MNIST, error) {
	return LoadMNIST(filepath.Join(dataDir, "mnist"))
}
