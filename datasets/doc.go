// Package datasets turns the raw files used by the thesis into labelled
// examples held in memory.
//
// It reads FER2013 (the Kaggle fer2013.csv, gzipped or inside the Kaggle
// fer2013.tar.gz) with the optional FER+ crowd labels, the four MNIST IDX
// files, and generates scikit-learn's make_circles bit for bit (through a
// port of NumPy's legacy RandomState). It also builds translated digits
// (MNIST-C "translate" style), stratified and seeded splits compatible with
// scikit-learn, and exports images to, and reads them back from, folders of
// PNG files.
//
// Every image set is an [ImageSet]: 8-bit grayscale images stored row-major
// in one byte slice, with int32 labels and English class names.
//
// Data is found under [DataDir] ($FER_DATA_DIR, or
// $HOME/.local/share/fer/data), laid out as
//
//	fer2013/fer2013.csv, fer2013/fer2013.csv.gz or fer2013.tar.gz
//	    (fer2013/fer2013.tar.gz is accepted too)
//	fer2013/fer2013new.csv  (optional FER+ labels)
//	mnist/train-images-idx3-ubyte[.gz], mnist/train-labels-idx1-ubyte[.gz],
//	mnist/t10k-images-idx3-ubyte[.gz],  mnist/t10k-labels-idx1-ubyte[.gz]
//
// Every loader also takes explicit paths. Bad input never panics and never
// yields partial data: the error names the file, the line (or the byte offset
// for binary files) and what was expected, as a [*FormatError].
package datasets
