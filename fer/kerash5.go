package fer

// This file reads Keras HDF5 weights files (model.save_weights("x.h5") and
// the "model_weights" group of model.save("x.h5"), Keras 2 layout) into the
// model's variables, for keras-vggface's ResNet-50 (resnet50.go).
//
// Keras's layout: the root group (or /model_weights) has an attribute
// "layer_names", the names of all the model's layers (split into
// "layer_names0", "layer_names1", ... when too long for one attribute);
// each layer has a group at that path (a name with "/", such as
// "conv1/7x7_s2", is a nested group) with an attribute "weight_names", e.g.
// ["conv1/7x7_s2/kernel:0"], and the weights are datasets at those paths
// below the layer's group: /conv1/7x7_s2/conv1/7x7_s2/kernel:0. Layers
// without weights have an empty weight_names.
//
// The HDF5 reader is written here, for the subset of HDF5 that h5py writes
// for Keras, because no Go module that reads it was usable:
// github.com/scigolib/hdf5 v0.13.0 (pure Go, read and write) returns empty
// groups for files in HDF5's original ("classic") format, which is what
// h5py writes by default and so what Keras weight files are: it ends a
// version-1 object header 16 bytes early (it takes the header size as
// counting the 16-byte prefix, which it does not), so a small group's
// symbol-table message is never read; and it parses version-1 attribute
// messages without their 8-byte padding, so their values come out wrong or
// are dropped. It also cannot write arrays of strings, which Keras's
// layer_names and weight_names are. gonum's hdf5 wraps the C library (cgo).
//
// What is read: superblock versions 0 to 3; object headers versions 1 and
// 2 with continuation blocks; groups stored as symbol tables (version-1
// B-trees, symbol-table nodes and local heaps) or as compact links;
// attributes (versions 1 to 3) of fixed-length strings, which Keras writes,
// or variable-length ones, which h5py writes for Python str values;
// datasets stored contiguously or compactly, of IEEE floats (16, 32 or 64
// bits, either byte order). Not read, with an error saying so: chunked or
// compressed datasets, dense link or attribute storage (fractal heaps, as
// h5py's libver="latest" writes large groups), shared messages,
// variable-length data other than strings. Checksums of version-2 metadata
// are not verified. Every read is bounds-checked against the file, and the
// total read is bounded: a truncated or corrupted file gives an error,
// never a panic, a loop or a huge allocation.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// VGGFaceResNet50File is the name of keras-vggface's weights file for the
// ResNet-50 without its classifier, as released at
// https://github.com/rcmalli/keras-vggface/releases/download/v2.0/rcmalli_vggface_tf_notop_resnet50.h5
// (about 95 MB).
const VGGFaceResNet50File = "rcmalli_vggface_tf_notop_resnet50.h5"

// FindVGGFaceResNet50 returns the path of VGGFaceResNet50File, looked for
// in dataDir/vggface, in dataDir, and where keras-vggface caches it
// (~/.keras/models/vggface). The error wraps fs.ErrNotExist and says where
// it looked.
func FindVGGFaceResNet50(dataDir string) (string, error) {
	var dirs []string
	if dataDir != "" {
		dirs = append(dirs, filepath.Join(dataDir, "vggface"), dataDir)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".keras", "models", "vggface"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, VGGFaceResNet50File)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("fer: %s not found in %s: %w", VGGFaceResNet50File, strings.Join(dirs, ", "), fs.ErrNotExist)
}

// KerasH5Options configures LoadKerasH5 and LoadResNet50H5.
type KerasH5Options struct {
	// AllowExtraLayers ignores the file's layers with weights that the model
	// does not have, instead of failing: e.g. the classifier of
	// keras-vggface's file with top, rcmalli_vggface_tf_resnet50.h5.
	AllowExtraLayers bool
}

// KerasH5Layer describes one layer of a Keras HDF5 weights file.
type KerasH5Layer struct {
	// Name is the Keras layer name, e.g. "conv1/7x7_s2/bn".
	Name string
	// Weights are the layer's weights in the file's order; empty for
	// layers without weights (activations, poolings, ...).
	Weights []KerasH5Weight
}

// KerasH5Weight describes one weight of a Keras HDF5 weights file.
type KerasH5Weight struct {
	// Name is the Keras weight name, e.g. "conv1/7x7_s2/bn/gamma:0".
	Name string
	// Shape is the dataset's shape; kernels are [kh, kw, in, out].
	Shape []int
	// DType describes the stored type, e.g. "float32".
	DType string
}

// ListKerasH5 lists the layers and weights of a Keras HDF5 weights file,
// without reading the values: a way to check what a file holds.
func ListKerasH5(path string) (layers []KerasH5Layer, err error) {
	defer recoverH5(&err, path)
	kf, closeFn, err := openKerasH5(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	for _, l := range kf.layers {
		kl := KerasH5Layer{Name: l.name}
		for _, w := range l.weights {
			kl.Weights = append(kl.Weights, KerasH5Weight{Name: w.name, Shape: slices.Clone(w.shape), DType: w.dt.String()})
		}
		layers = append(layers, kl)
	}
	return layers, nil
}

// LoadKerasH5 loads keras-vggface's ResNet-50 weights from the Keras HDF5
// file at path (rcmalli_vggface_tf_notop_resnet50.h5) into the model's
// ResNet50 layer, e.g. that of FERResNet50. Every weight of the layer must
// be in the file with the same shape; the file's other layers with weights
// are an error unless opts.AllowExtraLayers. Errors name the layer and the
// weight, and the expected and found shapes; a file with missing or
// unexpected layers gives one error listing them. Nothing is changed unless
// the whole file loads. Load the weights before training: the batch
// normalizations' moving averages come from the file too.
func (m *Model) LoadKerasH5(path string, opts KerasH5Options) (err error) {
	defer recoverH5(&err, path)
	var found []int
	for i, l := range m.layers {
		if _, ok := l.(ResNet50); ok {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 0:
		return fmt.Errorf("fer: LoadKerasH5: model %q has no ResNet50 layer to load Keras weights into", m.name)
	case 1:
	default:
		return fmt.Errorf("fer: LoadKerasH5: model %q has %d ResNet50 layers: load each with LoadResNet50H5 and its scope", m.name, len(found))
	}
	i := found[0]
	in := m.input
	if i > 0 {
		in = m.shapes[i-1]
	}
	return loadKerasWeights(m.store, resnet50Weights("/"+m.names[i], in[2]), path, opts)
}

// LoadResNet50H5 loads keras-vggface's ResNet-50 weights from the Keras
// HDF5 file at path into store, for a ResNet50 built (ResNet50.Build) under
// the scope at the store path scope ("/" for the root scope), on RGB
// images. It checks the file like Model.LoadKerasH5 does.
func LoadResNet50H5(store *model.Store, scope, path string, opts KerasH5Options) (err error) {
	defer recoverH5(&err, path)
	return loadKerasWeights(store, resnet50Weights(scope, 3), path, opts)
}

// recoverH5 turns a panic while reading a file into an error. The reader
// checks its input and should never panic; this is a last line of defence
// so that a bad file can never bring a program down.
func recoverH5(err *error, path string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("fer: reading Keras HDF5 file %s: unexpected failure (please report it): %v", path, r)
	}
}

// loadKerasWeights reads the expected weights from the Keras file at path
// and sets them in store; see Model.LoadKerasH5.
func loadKerasWeights(store *model.Store, expected []kerasWeight, path string, opts KerasH5Options) error {
	kf, closeFn, err := openKerasH5(path)
	if err != nil {
		return err
	}
	defer closeFn()
	where := "fer: Keras HDF5 file " + path

	// Which layers: the model's and the file's (those with weights).
	want := map[string][]kerasWeight{}
	var wantOrder []string
	for _, w := range expected {
		if _, ok := want[w.layer]; !ok {
			wantOrder = append(wantOrder, w.layer)
		}
		want[w.layer] = append(want[w.layer], w)
	}
	have := map[string]*kerasFileLayer{}
	var extra []string
	for _, l := range kf.layers {
		if len(l.weights) == 0 {
			continue
		}
		if _, dup := have[l.name]; dup {
			return fmt.Errorf("%s: layer %q is listed twice in layer_names", where, l.name)
		}
		have[l.name] = l
		if _, ok := want[l.name]; !ok {
			extra = append(extra, l.name)
		}
	}
	var missing []string
	for _, name := range wantOrder {
		if _, ok := have[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 || (len(extra) > 0 && !opts.AllowExtraLayers) {
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, fmt.Sprintf("%d of the model's %d layers with weights are missing from the file: %s",
				len(missing), len(wantOrder), nameList(missing)))
		}
		if len(extra) > 0 && !opts.AllowExtraLayers {
			parts = append(parts, fmt.Sprintf("the file has %d layers with weights that the model does not have: %s (KerasH5Options.AllowExtraLayers ignores them)",
				len(extra), nameList(extra)))
		}
		return fmt.Errorf("%s does not match the model (%d layers with weights in the file): %s",
			where, len(have), strings.Join(parts, "; "))
	}

	// Match the weights by their base name (the last part of the Keras
	// name, without ":0"), check their shapes, then read them all before
	// touching the store.
	type pending struct {
		w  kerasWeight
		fw *kerasFileWeight
	}
	var todo []pending
	for _, layer := range wantOrder {
		fl := have[layer]
		byBase := map[string]*kerasFileWeight{}
		for _, fw := range fl.weights {
			base := kerasWeightBase(fw.name)
			if _, dup := byBase[base]; dup {
				return fmt.Errorf("%s: layer %q has two weights named %q", where, layer, base)
			}
			byBase[base] = fw
		}
		var wantNames []string
		for _, w := range want[layer] {
			wantNames = append(wantNames, w.name)
			fw, ok := byBase[w.name]
			if !ok {
				return fmt.Errorf("%s: layer %q has no weight %q (the model expects %s; the file has %s)",
					where, layer, w.name, strings.Join(weightNames(want[layer]), ", "), strings.Join(fileWeightNames(fl), ", "))
			}
			if !slices.Equal(fw.shape, w.shape) {
				return fmt.Errorf("%s: layer %q weight %q: the model expects shape %v, the file has %v",
					where, layer, fw.name, w.shape, fw.shape)
			}
			todo = append(todo, pending{w, fw})
		}
		if len(fl.weights) != len(want[layer]) {
			var unexpected []string
			for _, fw := range fl.weights {
				if !slices.Contains(wantNames, kerasWeightBase(fw.name)) {
					unexpected = append(unexpected, fw.name)
				}
			}
			return fmt.Errorf("%s: layer %q has weights the model does not have: %s (the model expects %s)",
				where, layer, strings.Join(unexpected, ", "), strings.Join(wantNames, ", "))
		}
	}
	// The variables the model already has must have the weights' shapes.
	for _, p := range todo {
		if v := store.GetVariable(p.w.path); v != nil {
			if want := shapes.Make(dtypes.Float32, p.w.shape...); !v.Shape().Equal(want) {
				return fmt.Errorf("%s: variable %s is shaped %v (%s) in the model, but layer %q weight %q is float32 %v",
					where, p.w.path, v.Shape().Dimensions, v.DType(), p.w.layer, p.w.name, p.w.shape)
			}
		}
	}
	values := make([]*tensors.Tensor, len(todo))
	for i, p := range todo {
		t, err := kf.readWeight(p.fw)
		if err != nil {
			for _, v := range values[:i] {
				_ = v.FinalizeAll()
			}
			return fmt.Errorf("%s: layer %q weight %q: %w", where, p.w.layer, p.fw.name, err)
		}
		values[i] = t
	}

	for i, p := range todo {
		v := store.GetVariable(p.w.path)
		if v == nil {
			if v, err = store.CreateVariable(p.w.path, values[i]); err != nil {
				return fmt.Errorf("%s: creating %s: %w", where, p.w.path, err)
			}
		} else if err := v.SetValue(values[i]); err != nil {
			return fmt.Errorf("%s: setting %s: %w", where, p.w.path, err)
		}
		v.SetTrainable(p.w.trainable)
	}
	return nil
}

// weightNames lists the names of a layer's expected weights.
func weightNames(ws []kerasWeight) []string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.name
	}
	return names
}

// fileWeightNames lists the names of a file layer's weights.
func fileWeightNames(l *kerasFileLayer) []string {
	names := make([]string, len(l.weights))
	for i, w := range l.weights {
		names[i] = fmt.Sprintf("%q", w.name)
	}
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

// nameList quotes the first names of a list, saying how many more there are.
func nameList(names []string) string {
	const show = 8
	var parts []string
	for i, n := range names {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-show))
			break
		}
		parts = append(parts, fmt.Sprintf("%q", n))
	}
	return strings.Join(parts, ", ")
}

// kerasWeightBase is a Keras weight name without its layer prefix and its
// ":0" suffix: "conv1/7x7_s2/bn/gamma:0" → "gamma".
func kerasWeightBase(name string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// kerasFile is a Keras weights file: its layers with their weights'
// metadata (values are read on demand).
type kerasFile struct {
	h      *h5File
	layers []*kerasFileLayer
}

type kerasFileLayer struct {
	name    string
	weights []*kerasFileWeight
}

type kerasFileWeight struct {
	name  string
	shape []int
	dt    h5Type
	ds    *h5Dataset
}

// openKerasH5 opens the file at path and reads its Keras structure.
func openKerasH5(path string) (*kerasFile, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("fer: Keras HDF5 file: %w", err)
	}
	closeFn := func() { _ = f.Close() }
	st, err := f.Stat()
	if err != nil {
		closeFn()
		return nil, nil, fmt.Errorf("fer: Keras HDF5 file: %w", err)
	}
	kf, err := readKerasH5(f, st.Size())
	if err != nil {
		closeFn()
		return nil, nil, fmt.Errorf("fer: Keras HDF5 file %s: %w", path, err)
	}
	return kf, closeFn, nil
}

// readKerasH5 reads the Keras structure of an HDF5 file of the given size.
func readKerasH5(r io.ReaderAt, size int64) (*kerasFile, error) {
	h, err := openH5(r, size)
	if err != nil {
		return nil, err
	}
	kf := &kerasFile{h: h}
	weightsGroup := h.root
	names, err := h.stringListAttr(weightsGroup, "layer_names")
	if errors.Is(err, errNoAttr) {
		// A whole model saved with model.save: the weights are in /model_weights.
		if mw, err2 := h.lookup(h.root, "model_weights"); err2 == nil {
			weightsGroup = mw
			names, err = h.stringListAttr(weightsGroup, "layer_names")
		}
		if errors.Is(err, errNoAttr) {
			return nil, errors.New("not a Keras weights file: no layer_names attribute at the root or in /model_weights")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reading layer_names: %w", err)
	}
	for _, name := range names {
		g, err := h.lookup(weightsGroup, name)
		if err != nil {
			return nil, fmt.Errorf("layer %q (listed in layer_names): %w", name, err)
		}
		wnames, err := h.stringListAttr(g, "weight_names")
		if err != nil {
			return nil, fmt.Errorf("layer %q: reading weight_names: %w", name, err)
		}
		l := &kerasFileLayer{name: name}
		for _, wn := range wnames {
			addr, err := h.lookup(g, wn)
			if err != nil {
				return nil, fmt.Errorf("layer %q weight %q: %w", name, wn, err)
			}
			ds, err := h.dataset(addr)
			if err != nil {
				return nil, fmt.Errorf("layer %q weight %q: %w", name, wn, err)
			}
			l.weights = append(l.weights, &kerasFileWeight{name: wn, shape: ds.dims, dt: ds.dt, ds: ds})
		}
		kf.layers = append(kf.layers, l)
	}
	return kf, nil
}

// readWeight reads a weight's values into a float32 tensor.
func (kf *kerasFile) readWeight(w *kerasFileWeight) (*tensors.Tensor, error) {
	if w.dt.class != h5ClassFloat {
		return nil, fmt.Errorf("stored as %s, want floating point", w.dt)
	}
	if uint64(prod(w.shape)) != w.ds.n {
		return nil, fmt.Errorf("dataset shaped %v holds %d values: the file is corrupted", w.shape, w.ds.n)
	}
	raw, err := kf.h.readData(w.ds)
	if err != nil {
		return nil, err
	}
	t := tensors.FromShape(shapes.Make(dtypes.Float32, w.shape...))
	err = tensors.MutableFlatData(t, func(flat []float32) {
		size := w.dt.size
		order := w.dt.order
		for i := range flat {
			b := raw[i*size : (i+1)*size]
			switch size {
			case 2:
				flat[i] = halfToFloat32(order.Uint16(b))
			case 4:
				flat[i] = math.Float32frombits(order.Uint32(b))
			case 8:
				flat[i] = float32(math.Float64frombits(order.Uint64(b)))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// halfToFloat32 converts an IEEE 754 half-precision number.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		v := float32(frac) / 1024 / 16384
		if sign != 0 {
			return -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// ---------------------------------------------------------------------------
// HDF5 reading.

// h5Signature starts an HDF5 superblock.
const h5Signature = "\x89HDF\r\n\x1a\n"

var errNoAttr = errors.New("no such attribute")

// h5File is an HDF5 file open for reading.
type h5File struct {
	r                io.ReaderAt
	size             uint64 // file size
	base             uint64 // base address: file addresses are relative to it
	offSize, lenSize int
	root             uint64 // root group's object header address
	headers          map[uint64]*h5Header
	links            map[uint64]map[string]h5Link
	nodeBudget       int // B-tree and symbol-table nodes left to read (guards against loops)
	globalHeaps      map[uint64]map[uint32][]byte
	readBudget       uint64 // bytes left to read
}

// h5Header is an object header: its messages.
type h5Header struct {
	msgs []h5Msg
}

type h5Msg struct {
	typ   uint16
	flags uint8
	data  []byte
}

// HDF5 message types.
const (
	h5MsgDataspace    = 0x01
	h5MsgLinkInfo     = 0x02
	h5MsgDatatype     = 0x03
	h5MsgLink         = 0x06
	h5MsgLayout       = 0x08
	h5MsgFilters      = 0x0B
	h5MsgAttribute    = 0x0C
	h5MsgAttrInfo     = 0x0F
	h5MsgContinuation = 0x10
	h5MsgSymbolTable  = 0x11
)

// h5Link is a group's link to an object.
type h5Link struct {
	addr uint64
	soft string // non-empty for soft and external links, which are not followed
}

// openH5 finds the superblock and reads it.
func openH5(r io.ReaderAt, size int64) (*h5File, error) {
	if size < int64(len(h5Signature)) {
		return nil, fmt.Errorf("not an HDF5 file: only %d bytes", size)
	}
	h := &h5File{r: r, size: uint64(size), headers: map[uint64]*h5Header{}, links: map[uint64]map[string]h5Link{},
		nodeBudget: 1 << 16, globalHeaps: map[uint64]map[uint32][]byte{},
		readBudget: 16*uint64(size) + 1<<26}
	// The superblock is at 0, or after a user block at 512, 1024, 2048, ...
	sbPos := int64(-1)
	sig := make([]byte, len(h5Signature))
	for pos := int64(0); pos+int64(len(sig)) <= size; pos = max(512, 2*pos) {
		if _, err := r.ReadAt(sig, pos); err != nil {
			return nil, fmt.Errorf("reading the file: %w", err)
		}
		if string(sig) == h5Signature {
			sbPos = pos
			break
		}
	}
	if sbPos < 0 {
		return nil, errors.New("not an HDF5 file: no HDF5 signature found")
	}
	head, err := h.readRaw(uint64(sbPos), min(uint64(size)-uint64(sbPos), 256), "superblock")
	if err != nil {
		return nil, err
	}
	c := &h5Cursor{b: head, what: "superblock"}
	c.skip(8)
	version := c.u8()
	switch version {
	case 0, 1:
		c.skip(4) // free-space, root group and shared header versions, reserved
		h.offSize, h.lenSize = int(c.u8()), int(c.u8())
		c.skip(1)
		if c.err != nil {
			return nil, c.err
		}
		if err := h.checkSizes(); err != nil {
			return nil, err
		}
		c.skip(2 + 2 + 4) // group leaf and internal node K, flags
		if version == 1 {
			c.skip(4) // indexed storage K, reserved
		}
		h.base = c.uN(h.offSize)
		c.skip(3 * h.offSize) // free-space, end-of-file and driver addresses
		c.skip(h.offSize)     // root symbol-table entry: link name offset
		h.root = c.uN(h.offSize)
	case 2, 3:
		h.offSize, h.lenSize = int(c.u8()), int(c.u8())
		if c.err != nil {
			return nil, c.err
		}
		if err := h.checkSizes(); err != nil {
			return nil, err
		}
		c.skip(1) // flags
		h.base = c.uN(h.offSize)
		c.skip(2 * h.offSize) // superblock extension, end of file
		h.root = c.uN(h.offSize)
	default:
		return nil, fmt.Errorf("unsupported HDF5 superblock version %d", version)
	}
	if c.err != nil {
		return nil, c.err
	}
	if h.base > h.size {
		return nil, fmt.Errorf("corrupted superblock: base address %d beyond the end of the file (%d bytes)", h.base, h.size)
	}
	return h, nil
}

func (h *h5File) checkSizes() error {
	for _, s := range []int{h.offSize, h.lenSize} {
		if s != 2 && s != 4 && s != 8 {
			return fmt.Errorf("corrupted or unsupported superblock: address/length size %d (want 2, 4 or 8)", s)
		}
	}
	return nil
}

// undefined tells whether addr is HDF5's undefined address (all ones).
func (h *h5File) undefined(addr uint64) bool {
	return addr == math.MaxUint64>>(64-8*h.offSize)
}

// readRaw reads n bytes at file position pos (not an address).
func (h *h5File) readRaw(pos, n uint64, what string) ([]byte, error) {
	if pos > h.size || n > h.size-pos {
		return nil, fmt.Errorf("%s at byte %d (%d bytes) lies beyond the end of the file (%d bytes): the file is truncated or corrupted", what, pos, n, h.size)
	}
	// A valid file is read about once (headers are cached); a corrupted one
	// can make a reader go round in circles: bound the total.
	if n > h.readBudget {
		return nil, errors.New("the file's structure makes it read far more than its size: the file is corrupted")
	}
	h.readBudget -= n
	b := make([]byte, n)
	if _, err := h.r.ReadAt(b, int64(pos)); err != nil {
		return nil, fmt.Errorf("reading %s at byte %d: %w", what, pos, err)
	}
	return b, nil
}

// read reads n bytes at address addr.
func (h *h5File) read(addr, n uint64, what string) ([]byte, error) {
	if h.undefined(addr) {
		return nil, fmt.Errorf("%s has an undefined address", what)
	}
	if addr > h.size-h.base {
		return nil, fmt.Errorf("%s at address %d lies beyond the end of the file (%d bytes): the file is truncated or corrupted", what, addr, h.size)
	}
	return h.readRaw(h.base+addr, n, what)
}

// readUpTo reads up to n bytes at addr: fewer at the end of the file.
func (h *h5File) readUpTo(addr, n uint64, what string) ([]byte, error) {
	if !h.undefined(addr) && addr <= h.size-h.base {
		n = min(n, h.size-h.base-addr)
	}
	return h.read(addr, n, what)
}

// header reads (once) the object header at addr.
func (h *h5File) header(addr uint64) (*h5Header, error) {
	if oh, ok := h.headers[addr]; ok {
		if oh == nil {
			return nil, fmt.Errorf("object header at %d refers to itself", addr)
		}
		return oh, nil
	}
	h.headers[addr] = nil // marks it as being read
	oh, err := h.readHeader(addr)
	if err != nil {
		delete(h.headers, addr)
		return nil, fmt.Errorf("object header at address %d: %w", addr, err)
	}
	h.headers[addr] = oh
	return oh, nil
}

// maxHeaderBlocks bounds the continuation blocks of one object header.
const maxHeaderBlocks = 4096

func (h *h5File) readHeader(addr uint64) (*h5Header, error) {
	prefix, err := h.readUpTo(addr, 16, "object header")
	if err != nil {
		return nil, err
	}
	oh := &h5Header{}
	type block struct{ addr, size uint64 }
	var queue []block
	v2 := false
	switch {
	case len(prefix) >= 16 && prefix[0] == 1:
		size := uint64(binary.LittleEndian.Uint32(prefix[8:12]))
		queue = append(queue, block{addr + 16, size})
	case len(prefix) >= 6 && string(prefix[:4]) == "OHDR":
		v2 = true
		if prefix[4] != 2 {
			return nil, fmt.Errorf("unsupported object header version %d", prefix[4])
		}
		flags := prefix[5]
		pos := uint64(6)
		if flags&0x20 != 0 {
			pos += 16 // times
		}
		if flags&0x10 != 0 {
			pos += 4 // attribute phase change
		}
		n := uint64(1) << (flags & 3)
		b, err := h.read(addr+pos, n, "object header")
		if err != nil {
			return nil, err
		}
		c := &h5Cursor{b: b, what: "object header"}
		size := c.uN(int(n))
		queue = append(queue, block{addr + pos + n, size})
	default:
		return nil, errors.New("not an object header (bad version or signature): the file is corrupted")
	}
	var flags2 uint8
	if v2 {
		flags2 = prefix[5]
	}
	seen := map[uint64]bool{}
	for n := 0; len(queue) > 0; n++ {
		if n >= maxHeaderBlocks {
			return nil, errors.New("too many continuation blocks: the file is corrupted")
		}
		blk := queue[0]
		queue = queue[1:]
		if seen[blk.addr] {
			return nil, errors.New("continuation blocks form a loop: the file is corrupted")
		}
		seen[blk.addr] = true
		b, err := h.read(blk.addr, blk.size, "object header messages")
		if err != nil {
			return nil, err
		}
		c := &h5Cursor{b: b, what: "object header messages"}
		if v2 && n > 0 {
			if len(b) < 8 || string(b[:4]) != "OCHK" {
				return nil, errors.New("object header continuation block without its OCHK signature: the file is corrupted")
			}
			c.skip(4)
			c.b = c.b[:len(c.b)-4] // its checksum
		}
		// (Chunk 0 of a version-2 header is followed by a checksum that its
		// size does not count.)
		for c.err == nil {
			var m h5Msg
			if v2 {
				hdr := 4
				if flags2&0x04 != 0 {
					hdr = 6
				}
				if c.left() < hdr {
					break // gap
				}
				m.typ = uint16(c.u8())
				size := int(c.u16())
				m.flags = c.u8()
				if flags2&0x04 != 0 {
					c.skip(2)
				}
				m.data = c.bytes(size)
			} else {
				if c.left() < 8 {
					break
				}
				m.typ = c.u16()
				size := int(c.u16())
				m.flags = c.u8()
				c.skip(3)
				m.data = c.bytes(size)
			}
			if c.err != nil {
				break
			}
			if m.typ == h5MsgContinuation {
				mc := &h5Cursor{b: m.data, what: "continuation message"}
				a, l := mc.uN(h.offSize), mc.uN(h.lenSize)
				if mc.err != nil {
					return nil, mc.err
				}
				if len(queue) >= maxHeaderBlocks {
					return nil, errors.New("too many continuation blocks: the file is corrupted")
				}
				queue = append(queue, block{a, l})
				continue
			}
			oh.msgs = append(oh.msgs, m)
		}
		if c.err != nil {
			return nil, c.err
		}
	}
	return oh, nil
}

// find returns the header's messages of a type.
func (oh *h5Header) find(typ uint16) []h5Msg {
	var out []h5Msg
	for _, m := range oh.msgs {
		if m.typ == typ {
			out = append(out, m)
		}
	}
	return out
}

// groupLinks returns (once) the links of the group whose header is at addr.
func (h *h5File) groupLinks(addr uint64) (map[string]h5Link, error) {
	if l, ok := h.links[addr]; ok {
		return l, nil
	}
	oh, err := h.header(addr)
	if err != nil {
		return nil, err
	}
	links := map[string]h5Link{}
	isGroup := false
	for _, m := range oh.find(h5MsgSymbolTable) {
		isGroup = true
		c := &h5Cursor{b: m.data, what: "symbol table message"}
		btree, heap := c.uN(h.offSize), c.uN(h.offSize)
		if c.err != nil {
			return nil, c.err
		}
		names, err := h.localHeap(heap)
		if err != nil {
			return nil, err
		}
		if err := h.walkGroupBTree(btree, names, links, map[uint64]bool{}, 0); err != nil {
			return nil, err
		}
	}
	for _, m := range oh.find(h5MsgLink) {
		isGroup = true
		name, link, err := h.parseLink(m.data)
		if err != nil {
			return nil, err
		}
		links[name] = link
	}
	for _, m := range oh.find(h5MsgLinkInfo) {
		isGroup = true
		c := &h5Cursor{b: m.data, what: "link info message"}
		c.skip(1)
		if c.u8()&1 != 0 {
			c.skip(8)
		}
		if heap := c.uN(h.offSize); c.err == nil && !h.undefined(heap) {
			return nil, errors.New("group uses dense link storage (a fractal heap), which this reader does not support; re-save the file with h5py's default format")
		}
	}
	if !isGroup {
		return nil, errors.New("not a group")
	}
	h.links[addr] = links
	return links, nil
}

// localHeap returns a reader of the names in the local heap at addr.
func (h *h5File) localHeap(addr uint64) (func(off uint64) (string, error), error) {
	head, err := h.read(addr, uint64(8+2*h.lenSize+h.offSize), "local heap")
	if err != nil {
		return nil, err
	}
	c := &h5Cursor{b: head, what: "local heap"}
	if string(c.bytes(4)) != "HEAP" {
		return nil, errors.New("local heap without its HEAP signature: the file is corrupted")
	}
	c.skip(4)
	size := c.uN(h.lenSize)
	c.skip(h.lenSize)
	dataAddr := c.uN(h.offSize)
	if c.err != nil {
		return nil, c.err
	}
	data, err := h.read(dataAddr, size, "local heap data")
	if err != nil {
		return nil, err
	}
	return func(off uint64) (string, error) {
		if off >= uint64(len(data)) {
			return "", fmt.Errorf("link name at offset %d beyond the local heap (%d bytes): the file is corrupted", off, len(data))
		}
		s := data[off:]
		if i := bytes.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return string(s), nil
	}, nil
}

// maxBTreeDepth bounds the depth of a group's B-tree.
const maxBTreeDepth = 64

// walkGroupBTree adds the entries of the group B-tree node at addr to links.
func (h *h5File) walkGroupBTree(addr uint64, name func(uint64) (string, error), links map[string]h5Link, seen map[uint64]bool, depth int) error {
	if depth > maxBTreeDepth {
		return errors.New("group B-tree too deep: the file is corrupted")
	}
	if seen[addr] {
		return errors.New("group B-tree visits a node twice: the file is corrupted")
	}
	seen[addr] = true
	if h.nodeBudget--; h.nodeBudget < 0 {
		return errors.New("too many group B-tree nodes: the file is corrupted")
	}
	head, err := h.read(addr, uint64(8+2*h.offSize), "group B-tree node")
	if err != nil {
		return err
	}
	c := &h5Cursor{b: head, what: "group B-tree node"}
	if string(c.bytes(4)) != "TREE" {
		return errors.New("group B-tree node without its TREE signature: the file is corrupted")
	}
	if typ := c.u8(); typ != 0 {
		return fmt.Errorf("group B-tree node of type %d (want 0): the file is corrupted", typ)
	}
	level := int(c.u8())
	entries := uint64(c.u16())
	if c.err != nil {
		return c.err
	}
	// Keys and children: key0 child0 key1 child1 ... keyN.
	body, err := h.read(addr+uint64(8+2*h.offSize), entries*uint64(h.lenSize+h.offSize)+uint64(h.lenSize), "group B-tree node")
	if err != nil {
		return err
	}
	bc := &h5Cursor{b: body, what: "group B-tree node"}
	for range entries {
		bc.skip(h.lenSize)
		child := bc.uN(h.offSize)
		if bc.err != nil {
			return bc.err
		}
		if level > 0 {
			if err := h.walkGroupBTree(child, name, links, seen, depth+1); err != nil {
				return err
			}
			continue
		}
		if seen[child] {
			return errors.New("group B-tree visits a symbol-table node twice: the file is corrupted")
		}
		seen[child] = true
		if err := h.readSymbolNode(child, name, links); err != nil {
			return err
		}
	}
	return nil
}

// readSymbolNode adds the entries of the symbol-table node at addr to links.
func (h *h5File) readSymbolNode(addr uint64, name func(uint64) (string, error), links map[string]h5Link) error {
	if h.nodeBudget--; h.nodeBudget < 0 {
		return errors.New("too many symbol-table nodes: the file is corrupted")
	}
	head, err := h.read(addr, 8, "symbol-table node")
	if err != nil {
		return err
	}
	if string(head[:4]) != "SNOD" {
		return errors.New("symbol-table node without its SNOD signature: the file is corrupted")
	}
	n := uint64(binary.LittleEndian.Uint16(head[6:8]))
	entrySize := uint64(2*h.offSize + 24)
	body, err := h.read(addr+8, n*entrySize, "symbol-table node")
	if err != nil {
		return err
	}
	c := &h5Cursor{b: body, what: "symbol-table node"}
	for range n {
		nameOff := c.uN(h.offSize)
		obj := c.uN(h.offSize)
		c.skip(24)
		if c.err != nil {
			return c.err
		}
		s, err := name(nameOff)
		if err != nil {
			return err
		}
		links[s] = h5Link{addr: obj}
	}
	return nil
}

// parseLink parses a link message.
func (h *h5File) parseLink(data []byte) (string, h5Link, error) {
	c := &h5Cursor{b: data, what: "link message"}
	if v := c.u8(); v != 1 && c.err == nil {
		return "", h5Link{}, fmt.Errorf("unsupported link message version %d", v)
	}
	flags := c.u8()
	linkType := uint8(0)
	if flags&0x08 != 0 {
		linkType = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8)
	}
	if flags&0x10 != 0 {
		c.skip(1)
	}
	n := int(c.uN(1 << (flags & 3)))
	name := string(c.bytes(n))
	var link h5Link
	switch linkType {
	case 0:
		link.addr = c.uN(h.offSize)
	default:
		link.soft = fmt.Sprintf("link of type %d", linkType)
	}
	if c.err != nil {
		return "", h5Link{}, c.err
	}
	return name, link, nil
}

// lookup follows a "/"-separated path of links from the group at addr.
func (h *h5File) lookup(addr uint64, path string) (uint64, error) {
	cur := addr
	walked := ""
	for _, part := range strings.Split(path, "/") {
		if part == "" {
			continue
		}
		links, err := h.groupLinks(cur)
		if err != nil {
			if walked == "" {
				return 0, err
			}
			return 0, fmt.Errorf("%q: %w", walked, err)
		}
		walked = strings.TrimPrefix(walked+"/"+part, "/")
		l, ok := links[part]
		if !ok {
			return 0, fmt.Errorf("no object %q in the file", walked)
		}
		if l.soft != "" {
			return 0, fmt.Errorf("%q is a %s, which this reader does not follow", walked, l.soft)
		}
		cur = l.addr
	}
	return cur, nil
}

// h5Type is a (supported) datatype.
type h5Type struct {
	class int
	size  int
	order binary.ByteOrder
	pad   int // strings: 0 null-terminated, 1 null-padded, 2 space-padded
}

const (
	h5ClassFixed  = 0
	h5ClassFloat  = 1
	h5ClassString = 3
	h5ClassVarLen = 9
)

// String describes the type, e.g. "float32".
func (t h5Type) String() string {
	switch t.class {
	case h5ClassFixed:
		return fmt.Sprintf("int%d", 8*t.size)
	case h5ClassFloat:
		return fmt.Sprintf("float%d", 8*t.size)
	case h5ClassString:
		return fmt.Sprintf("string%d", t.size)
	case h5ClassVarLen:
		return "variable-length string"
	}
	return fmt.Sprintf("class%d", t.class)
}

// parseType parses a datatype message.
func parseType(data []byte) (h5Type, error) {
	c := &h5Cursor{b: data, what: "datatype message"}
	cv := c.u8()
	bits := c.bytes(3)
	size := c.u32()
	if c.err != nil {
		return h5Type{}, c.err
	}
	t := h5Type{class: int(cv & 0x0f), size: int(size), order: binary.LittleEndian}
	if bits[0]&1 != 0 {
		t.order = binary.BigEndian
	}
	switch t.class {
	case h5ClassFixed:
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return h5Type{}, fmt.Errorf("unsupported integer size %d", size)
		}
	case h5ClassFloat:
		if bits[0]&0x40 != 0 {
			return h5Type{}, errors.New("unsupported VAX floating-point byte order")
		}
		c.skip(2) // bit offset
		precision := c.u16()
		if c.err != nil {
			return h5Type{}, c.err
		}
		if (size != 2 && size != 4 && size != 8) || int(precision) != 8*int(size) {
			return h5Type{}, fmt.Errorf("unsupported floating-point type: %d bytes, %d bits of precision", size, precision)
		}
	case h5ClassString:
		t.pad = int(bits[0] & 0x0f)
		if size == 0 {
			return h5Type{}, errors.New("string type of size 0: the file is corrupted")
		}
	case h5ClassVarLen:
		if bits[0]&0x0f != 1 {
			return h5Type{}, errors.New("variable-length sequences are not supported (only variable-length strings)")
		}
		t.pad = int(bits[0]>>4) & 0x0f
	default:
		return h5Type{}, fmt.Errorf("unsupported datatype class %d", t.class)
	}
	return t, nil
}

// maxRank bounds the rank of dataspaces.
const maxRank = 32

// parseSpace parses a dataspace message: its dimensions (nil for a scalar)
// and its number of elements.
func (h *h5File) parseSpace(data []byte) (dims []int, n uint64, err error) {
	c := &h5Cursor{b: data, what: "dataspace message"}
	version := c.u8()
	rank := int(c.u8())
	c.skip(1) // flags
	null := false
	switch version {
	case 1:
		c.skip(5)
	case 2:
		null = c.u8() == 2
	default:
		if c.err == nil {
			return nil, 0, fmt.Errorf("unsupported dataspace version %d", version)
		}
	}
	if rank > maxRank {
		return nil, 0, fmt.Errorf("dataspace of rank %d: the file is corrupted", rank)
	}
	n = 1
	for range rank {
		d := c.uN(h.lenSize)
		if d > h.size*8 { // more elements than the file could hold
			return nil, 0, fmt.Errorf("dataspace dimension %d: the file is corrupted", d)
		}
		dims = append(dims, int(d))
		if n != 0 && d != 0 && n > math.MaxInt64/d {
			return nil, 0, errors.New("dataspace too large: the file is corrupted")
		}
		n *= d
	}
	if c.err != nil {
		return nil, 0, c.err
	}
	if null {
		n = 0
	}
	return dims, n, nil
}

// h5Dataset is a dataset's metadata.
type h5Dataset struct {
	dims    []int
	n       uint64
	dt      h5Type
	compact []byte // compact storage
	addr    uint64 // contiguous storage
	size    uint64
}

// dataset reads the metadata of the dataset whose header is at addr.
func (h *h5File) dataset(addr uint64) (*h5Dataset, error) {
	oh, err := h.header(addr)
	if err != nil {
		return nil, err
	}
	get := func(typ uint16, what string) (h5Msg, error) {
		ms := oh.find(typ)
		if len(ms) == 0 {
			return h5Msg{}, fmt.Errorf("not a dataset (no %s)", what)
		}
		if ms[0].flags&0x02 != 0 {
			return h5Msg{}, fmt.Errorf("shared %s messages are not supported", what)
		}
		return ms[0], nil
	}
	ds := &h5Dataset{}
	m, err := get(h5MsgDataspace, "dataspace")
	if err != nil {
		return nil, err
	}
	if ds.dims, ds.n, err = h.parseSpace(m.data); err != nil {
		return nil, err
	}
	if m, err = get(h5MsgDatatype, "datatype"); err != nil {
		return nil, err
	}
	if ds.dt, err = parseType(m.data); err != nil {
		return nil, err
	}
	if len(oh.find(h5MsgFilters)) > 0 {
		return nil, errors.New("compressed (filtered) datasets are not supported")
	}
	if m, err = get(h5MsgLayout, "data layout"); err != nil {
		return nil, err
	}
	c := &h5Cursor{b: m.data, what: "data layout message"}
	version := c.u8()
	var class uint8
	switch version {
	case 1, 2:
		rank := int(c.u8())
		class = c.u8()
		c.skip(5)
		if class != 0 {
			ds.addr = c.uN(h.offSize)
		}
		c.skip(4 * rank)
		if class == 0 {
			ds.compact = c.bytes(int(c.u32()))
		} else {
			ds.size = ds.n * uint64(ds.dt.size)
		}
	case 3, 4:
		class = c.u8()
		switch class {
		case 0:
			ds.compact = c.bytes(int(c.u16()))
		case 1:
			ds.addr, ds.size = c.uN(h.offSize), c.uN(h.lenSize)
		}
	default:
		if c.err == nil {
			return nil, fmt.Errorf("unsupported data layout version %d", version)
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	switch class {
	case 0, 1:
	case 2:
		return nil, errors.New("chunked datasets are not supported")
	default:
		return nil, fmt.Errorf("unsupported data layout class %d", class)
	}
	return ds, nil
}

// readData reads a dataset's raw bytes: n × element size.
func (h *h5File) readData(ds *h5Dataset) ([]byte, error) {
	need := ds.n * uint64(ds.dt.size)
	if ds.n != 0 && need/ds.n != uint64(ds.dt.size) {
		return nil, errors.New("dataset too large: the file is corrupted")
	}
	if ds.compact != nil || need == 0 {
		if uint64(len(ds.compact)) < need {
			return nil, fmt.Errorf("compact data has %d bytes, want %d: the file is corrupted", len(ds.compact), need)
		}
		return ds.compact[:need], nil
	}
	if h.undefined(ds.addr) {
		return nil, errors.New("the dataset has no data written")
	}
	if ds.size < need {
		return nil, fmt.Errorf("the dataset's storage has %d bytes, want %d for %v %s: the file is corrupted", ds.size, need, ds.dims, ds.dt)
	}
	return h.read(ds.addr, need, "dataset data")
}

// attr finds the attribute name of the object at addr.
func (h *h5File) attr(addr uint64, name string) (dims []int, n uint64, t h5Type, data []byte, err error) {
	oh, err := h.header(addr)
	if err != nil {
		return nil, 0, t, nil, err
	}
	for _, m := range oh.find(h5MsgAttribute) {
		c := &h5Cursor{b: m.data, what: "attribute message"}
		version := c.u8()
		flags := c.u8()
		nameSize, typeSize, spaceSize := int(c.u16()), int(c.u16()), int(c.u16())
		pad := func(n int) int { return n }
		switch version {
		case 1:
			pad = func(n int) int { return (n + 7) &^ 7 }
		case 2:
		case 3:
			c.skip(1) // name encoding
		default:
			if c.err == nil {
				return nil, 0, t, nil, fmt.Errorf("unsupported attribute message version %d", version)
			}
		}
		nameBytes := c.bytes(pad(nameSize))
		if c.err != nil {
			return nil, 0, t, nil, c.err
		}
		aname := string(nameBytes[:min(nameSize, len(nameBytes))])
		if i := strings.IndexByte(aname, 0); i >= 0 {
			aname = aname[:i]
		}
		if aname != name {
			continue
		}
		if version > 1 && flags&0x03 != 0 {
			return nil, 0, t, nil, fmt.Errorf("attribute %q: shared datatypes or dataspaces are not supported", name)
		}
		typeData := c.bytes(pad(typeSize))
		spaceData := c.bytes(pad(spaceSize))
		if c.err != nil {
			return nil, 0, t, nil, fmt.Errorf("attribute %q: %w", name, c.err)
		}
		if dims, n, err = h.parseSpace(spaceData[:min(spaceSize, len(spaceData))]); err != nil {
			return nil, 0, t, nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		if n == 0 {
			return dims, 0, t, nil, nil // empty: its type does not matter
		}
		if t, err = parseType(typeData[:min(typeSize, len(typeData))]); err != nil {
			return nil, 0, t, nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		need := n * uint64(t.size)
		if need/n != uint64(t.size) || need > uint64(c.left()) {
			return nil, 0, t, nil, fmt.Errorf("attribute %q: %d values of %d bytes do not fit in its message: the file is corrupted", name, n, t.size)
		}
		return dims, n, t, c.bytes(int(need)), nil
	}
	for _, m := range oh.find(h5MsgAttrInfo) {
		c := &h5Cursor{b: m.data, what: "attribute info message"}
		c.skip(1)
		if c.u8()&1 != 0 {
			c.skip(2)
		}
		if heap := c.uN(h.offSize); c.err == nil && !h.undefined(heap) {
			return nil, 0, t, nil, fmt.Errorf("attribute %q: the object stores its attributes densely (in a fractal heap), which this reader does not support", name)
		}
	}
	return nil, 0, t, nil, errNoAttr
}

// stringsAttr reads an attribute of fixed-length strings (an empty
// attribute of any type reads as no strings).
func (h *h5File) stringsAttr(addr uint64, name string) ([]string, error) {
	_, n, t, data, err := h.attr(addr, name)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	if t.class == h5ClassVarLen {
		return h.varLenStrings(name, n, t, data)
	}
	if t.class != h5ClassString {
		return nil, fmt.Errorf("attribute %q holds %s values, want strings", name, t)
	}
	out := make([]string, n)
	for i := range out {
		s := data[i*t.size : (i+1)*t.size]
		if t.pad == 2 {
			s = bytes.TrimRight(s, " ")
		} else if j := bytes.IndexByte(s, 0); j >= 0 {
			s = s[:j]
		}
		out[i] = string(s)
	}
	return out, nil
}

// varLenStrings decodes n variable-length strings (as h5py writes Python
// str values): each is a length and a global heap ID (collection address,
// object index).
func (h *h5File) varLenStrings(name string, n uint64, t h5Type, data []byte) ([]string, error) {
	if t.size != 4+h.offSize+4 {
		return nil, fmt.Errorf("attribute %q: variable-length strings of %d bytes, want %d: the file is corrupted", name, t.size, 4+h.offSize+4)
	}
	c := &h5Cursor{b: data, what: "attribute " + name}
	out := make([]string, n)
	for i := range out {
		length, coll, index := c.u32(), c.uN(h.offSize), c.u32()
		if c.err != nil {
			return nil, c.err
		}
		if length == 0 {
			continue
		}
		obj, err := h.globalHeapObject(coll, index)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		if uint64(length) > uint64(len(obj)) {
			return nil, fmt.Errorf("attribute %q: string of %d bytes in a heap object of %d: the file is corrupted", name, length, len(obj))
		}
		out[i] = string(obj[:length])
	}
	return out, nil
}

// globalHeapObject returns object index of the global heap collection at addr.
func (h *h5File) globalHeapObject(addr uint64, index uint32) ([]byte, error) {
	objs, ok := h.globalHeaps[addr]
	if !ok {
		var err error
		if objs, err = h.readGlobalHeap(addr); err != nil {
			return nil, err
		}
		h.globalHeaps[addr] = objs
	}
	obj, ok := objs[index]
	if !ok {
		return nil, fmt.Errorf("no object %d in the global heap at address %d: the file is corrupted", index, addr)
	}
	return obj, nil
}

// readGlobalHeap reads the objects of the global heap collection at addr.
func (h *h5File) readGlobalHeap(addr uint64) (map[uint32][]byte, error) {
	head, err := h.read(addr, uint64(8+h.lenSize), "global heap")
	if err != nil {
		return nil, err
	}
	c := &h5Cursor{b: head, what: "global heap"}
	if string(c.bytes(4)) != "GCOL" {
		return nil, errors.New("global heap without its GCOL signature: the file is corrupted")
	}
	c.skip(4)
	size := c.uN(h.lenSize)
	if c.err != nil {
		return nil, c.err
	}
	if size < uint64(8+h.lenSize) {
		return nil, fmt.Errorf("global heap of %d bytes: the file is corrupted", size)
	}
	body, err := h.read(addr, size, "global heap")
	if err != nil {
		return nil, err
	}
	objs := map[uint32][]byte{}
	c = &h5Cursor{b: body[8+h.lenSize:], what: "global heap"}
	for c.left() >= 8+h.lenSize {
		idx := c.u16()
		c.skip(6) // reference count, reserved
		objSize := c.uN(h.lenSize)
		if idx == 0 { // free space: the end
			break
		}
		if objSize > uint64(c.left()) {
			return nil, errors.New("global heap object beyond its collection: the file is corrupted")
		}
		objs[uint32(idx)] = c.bytes(int(objSize))
		c.skip(min(int((objSize+7)&^7-objSize), c.left()))
	}
	return objs, nil
}

// stringListAttr reads a Keras string-list attribute, which Keras splits
// into name0, name1, ... when it is too long for one attribute.
func (h *h5File) stringListAttr(addr uint64, name string) ([]string, error) {
	out, err := h.stringsAttr(addr, name)
	if !errors.Is(err, errNoAttr) {
		return out, err
	}
	for i := 0; ; i++ {
		chunk, err := h.stringsAttr(addr, fmt.Sprintf("%s%d", name, i))
		if errors.Is(err, errNoAttr) {
			if i == 0 {
				return nil, fmt.Errorf("attribute %q: %w", name, errNoAttr)
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, chunk...)
	}
}

// h5Cursor reads little-endian fields from a byte slice; reading past its
// end sets err (and returns zeros) instead of panicking.
type h5Cursor struct {
	b    []byte
	off  int
	err  error
	what string
}

func (c *h5Cursor) left() int { return len(c.b) - c.off }

func (c *h5Cursor) bytes(n int) []byte {
	if c.err != nil {
		return nil
	}
	if n < 0 || n > c.left() {
		c.err = fmt.Errorf("%s is truncated: the file is corrupted", c.what)
		return nil
	}
	b := c.b[c.off : c.off+n]
	c.off += n
	return b
}

func (c *h5Cursor) skip(n int) { c.bytes(n) }

func (c *h5Cursor) uN(n int) uint64 {
	b := c.bytes(n)
	if b == nil {
		return 0
	}
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func (c *h5Cursor) u8() uint8   { return uint8(c.uN(1)) }
func (c *h5Cursor) u16() uint16 { return uint16(c.uN(2)) }
func (c *h5Cursor) u32() uint32 { return uint32(c.uN(4)) }
