package datasets

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// WriteImageFolder writes every image of s as an 8-bit grayscale PNG
// named dir/<class name>/NNNNN.png, where NNNNN is the image's index in s
// (at least five digits), so that ReadImageFolder can restore the order.
// Class folders are created for every class name, even empty ones.
func WriteImageFolder(dir string, s *ImageSet) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("writing image folder: %w", err)
	}
	for _, name := range s.ClassNames {
		if err := checkClassName(name); err != nil {
			return fmt.Errorf("writing image folder: %w", err)
		}
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			return fmt.Errorf("writing image folder: %w", err)
		}
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	img := &image.Gray{Stride: s.Width, Rect: image.Rect(0, 0, s.Width, s.Height)}
	for i := 0; i < s.Len(); i++ {
		img.Pix = s.Image(i)
		path := filepath.Join(dir, s.ClassNames[s.Labels[i]], fmt.Sprintf("%05d.png", i))
		if err := writePNG(path, &enc, img); err != nil {
			return fmt.Errorf("writing image folder: %w", err)
		}
	}
	return nil
}

func checkClassName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("class name %q cannot be a folder name", name)
	}
	return nil
}

func writePNG(path string, enc *png.Encoder, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := enc.Encode(w, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadImageFolder reads images written by WriteImageFolder (or any folder
// of per-class subfolders of PNG files) back into an ImageSet named name.
// Labels are positions in classNames; a subfolder not in classNames is an
// error. If classNames is nil, the subfolders, sorted, are the classes.
// Images are ordered by the number in their file name (NNNNN.png), or by
// class and then file name when names are not numbers; all must have the
// same size, and color images are converted to gray.
func ReadImageFolder(dir, name string, classNames []string) (*ImageSet, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading image folder: %w", err)
	}
	var folders []string
	for _, e := range entries {
		if e.IsDir() {
			folders = append(folders, e.Name())
		}
	}
	if classNames == nil {
		classNames = folders // already sorted by os.ReadDir
	}
	type item struct {
		path  string
		label int32
		num   int // -1 if the name is not a number
	}
	var items []item
	allNumbered := true
	for _, folder := range folders {
		label := slices.Index(classNames, folder)
		if label < 0 {
			return nil, fmt.Errorf("reading image folder %s: subfolder %q is not a class, expected one of %v", dir, folder, classNames)
		}
		files, err := os.ReadDir(filepath.Join(dir, folder))
		if err != nil {
			return nil, fmt.Errorf("reading image folder: %w", err)
		}
		for _, f := range files {
			if f.IsDir() || !strings.EqualFold(filepath.Ext(f.Name()), ".png") {
				continue
			}
			num, err := strconv.Atoi(strings.TrimSuffix(f.Name(), filepath.Ext(f.Name())))
			if err != nil || num < 0 {
				num, allNumbered = -1, false
			}
			items = append(items, item{filepath.Join(dir, folder, f.Name()), int32(label), num})
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("reading image folder %s: no PNG files in class subfolders: %w", dir, os.ErrNotExist)
	}
	if allNumbered {
		slices.SortStableFunc(items, func(a, b item) int { return a.num - b.num })
		for i := 1; i < len(items); i++ {
			if items[i].num == items[i-1].num {
				return nil, fmt.Errorf("reading image folder: %s and %s have the same number", items[i-1].path, items[i].path)
			}
		}
	}
	out := &ImageSet{Name: name, ClassNames: classNames, Labels: make([]int32, 0, len(items))}
	for _, it := range items {
		g, err := readGrayPNG(it.path)
		if err != nil {
			return nil, err
		}
		h, w := g.Rect.Dy(), g.Rect.Dx()
		if out.Height == 0 {
			out.Height, out.Width = h, w
			out.Pixels = make([]uint8, 0, len(items)*h*w)
		} else if h != out.Height || w != out.Width {
			return nil, fmt.Errorf("%s: image is %d×%d, expected %d×%d like the others", it.path, h, w, out.Height, out.Width)
		}
		for r := 0; r < h; r++ {
			out.Pixels = append(out.Pixels, g.Pix[r*g.Stride:r*g.Stride+w]...)
		}
		out.Labels = append(out.Labels, it.label)
	}
	return out, nil
}

// readGrayPNG decodes a PNG file as 8-bit gray.
func readGrayPNG(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.Set(x-b.Min.X, y-b.Min.Y, color.GrayModel.Convert(img.At(x, y)))
		}
	}
	return g, nil
}

// ExportFER2013 writes the three FER2013 splits as PNG files in
// dir/<split>/<emotion>/NNNNN.png (split Training, PublicTest or
// PrivateTest; emotion one of EmotionNames; NNNNN the index in the split).
func ExportFER2013(dir string, f *FER2013) error {
	for i, s := range f.Splits() {
		if err := WriteImageFolder(filepath.Join(dir, FERUsages[i]), s); err != nil {
			return err
		}
	}
	return nil
}

// ReadFER2013Folder reads a folder written by ExportFER2013 back into a
// FER2013 (without SourceRows or FER+ labels). A missing split folder is an
// error.
func ReadFER2013Folder(dir string) (*FER2013, error) {
	var sets [3]*ImageSet
	for i, u := range FERUsages {
		s, err := ReadImageFolder(filepath.Join(dir, u), "FER2013/"+u, EmotionNames)
		if err != nil {
			return nil, err
		}
		if s.Height != FERHeight || s.Width != FERWidth {
			return nil, fmt.Errorf("reading %s: images are %d×%d, expected 48×48", filepath.Join(dir, u), s.Height, s.Width)
		}
		sets[i] = s
	}
	return &FER2013{Training: sets[0], PublicTest: sets[1], PrivateTest: sets[2]}, nil
}
