package fer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// This file writes Keras weight files for the tests with h5w, a minimal
// HDF5 writer of the format h5py writes by default (libver "earliest", the
// format of Keras's .h5 files and of keras-vggface's): superblock version
// 0, version-1 object headers (attributes in a continuation block, as h5py's
// headers often have), groups as symbol tables (a version-1 B-tree of
// symbol-table nodes of at most 8 entries, names in a local heap, as with
// HDF5's default K = 4 and 16), contiguous datasets, version-1 attribute
// messages (8-byte padded) holding fixed-length null-padded strings (numpy
// "S" arrays, which Keras writes for layer_names and weight_names), or
// variable-length strings in a global heap (what h5py writes for Python
// str values), or, for layers without weights, an empty float64 array
// (np.asarray([]), which Keras writes there). No pure-Go HDF5 writer could write such string
// arrays (see kerash5.go), hence this one; it lives in the tests only.

// h5wNode is a group (children) or a dataset (data) to write.
type h5wNode struct {
	children map[string]*h5wNode
	attrs    []h5wAttr
	isData   bool
	dims     []int
	raw      []byte // dataset bytes
	dtype    []byte // datatype message
	layout   []byte // optional: the data layout message, to write instead of a contiguous one
}

type h5wAttr struct {
	name   string
	strs   []string // fixed-length strings
	scalar bool     // one string in a scalar dataspace
	empty  bool     // an empty float64 array
	varLen bool     // variable-length strings (in a global heap), as h5py writes Python str values
}

func newGroup() *h5wNode { return &h5wNode{children: map[string]*h5wNode{}} }

// group returns the group at the "/"-separated path below g, creating it
// and its parents, as h5py's create_group does.
func (g *h5wNode) group(path string) *h5wNode {
	cur := g
	for _, part := range strings.Split(path, "/") {
		next, ok := cur.children[part]
		if !ok {
			next = newGroup()
			cur.children[part] = next
		}
		cur = next
	}
	return cur
}

// put adds a dataset at the path below g.
func (g *h5wNode) put(path string, ds *h5wNode) {
	dir, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, name = path[:i], path[i+1:]
	}
	parent := g
	if dir != "" {
		parent = g.group(dir)
	}
	parent.children[name] = ds
}

// h5w accumulates the file.
type h5w struct {
	buf []byte
}

const h5wUndef = math.MaxUint64

// alloc reserves n zero bytes, 8-aligned, and returns their address.
func (w *h5w) alloc(n int) uint64 {
	for len(w.buf)%8 != 0 {
		w.buf = append(w.buf, 0)
	}
	addr := uint64(len(w.buf))
	w.buf = append(w.buf, make([]byte, n)...)
	return addr
}

func (w *h5w) put(addr uint64, b []byte) { copy(w.buf[addr:], b) }

// le builds little-endian fields.
type le []byte

func (b le) u8(v uint8) le   { return append(b, v) }
func (b le) u16(v uint16) le { return binary.LittleEndian.AppendUint16(b, v) }
func (b le) u32(v uint32) le { return binary.LittleEndian.AppendUint32(b, v) }
func (b le) u64(v uint64) le { return binary.LittleEndian.AppendUint64(b, v) }
func (b le) raw(v []byte) le { return append(b, v...) }
func (b le) pad8() le {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

type h5wMsg struct {
	typ  uint16
	data []byte
}

// header writes a version-1 object header with msgs in its first block and
// cont in a continuation block, and returns its address.
func (w *h5w) header(msgs, cont []h5wMsg) uint64 {
	block := func(ms []h5wMsg) le {
		var b le
		for _, m := range ms {
			d := le(slices.Clone(m.data)).pad8()
			b = b.u16(m.typ).u16(uint16(len(d))).u8(0).raw([]byte{0, 0, 0}).raw(d)
		}
		return b
	}
	n := len(msgs) + len(cont)
	if len(cont) > 0 {
		cb := block(cont)
		addr := w.alloc(len(cb))
		w.put(addr, cb)
		msgs = append(slices.Clone(msgs), h5wMsg{0x10, le(nil).u64(addr).u64(uint64(len(cb)))})
		n++
	}
	body := block(msgs)
	head := le(nil).u8(1).u8(0).u16(uint16(n)).u32(1).u32(uint32(len(body))).u32(0).raw(body)
	addr := w.alloc(len(head))
	w.put(addr, head)
	return addr
}

// Datatype messages.
func h5wFloat(size int, bigEndian bool) []byte {
	var prec, expLoc, expSize, mantSize uint8
	var bias uint32
	switch size {
	case 2:
		prec, expLoc, expSize, mantSize, bias = 16, 10, 5, 10, 15
	case 4:
		prec, expLoc, expSize, mantSize, bias = 32, 23, 8, 23, 127
	case 8:
		prec, expLoc, expSize, mantSize, bias = 64, 52, 11, 52, 1023
	}
	bits0 := uint8(0x20)
	if bigEndian {
		bits0 |= 1
	}
	return le(nil).u8(0x11).u8(bits0).u8(prec - 1).u8(0).u32(uint32(size)).
		u16(0).u16(uint16(prec)).u8(expLoc).u8(expSize).u8(0).u8(mantSize).u32(bias)
}

func h5wInt32() []byte {
	return le(nil).u8(0x10).u8(0x08).u8(0).u8(0).u32(4).u16(0).u16(32)
}

func h5wString(size int) []byte {
	return le(nil).u8(0x13).u8(0x01).u8(0).u8(0).u32(uint32(size)) // null-padded ASCII
}

// h5wSpace is a version-1 dataspace message (rank 0: scalar).
func h5wSpace(dims ...int) []byte {
	b := le(nil).u8(1).u8(uint8(len(dims))).u8(0).u8(0).u32(0)
	for _, d := range dims {
		b = b.u64(uint64(d))
	}
	return b
}

// attrMsg encodes a version-1 attribute message.
func (w *h5w) attrMsg(a h5wAttr) h5wMsg {
	var dt, ds, data []byte
	switch {
	case a.empty:
		dt, ds = h5wFloat(8, false), h5wSpace(0)
	case a.varLen:
		// A global heap collection with the strings as objects 1, 2, ...
		coll := le([]byte("GCOL")).u8(1).raw([]byte{0, 0, 0}).u64(0)
		for i, str := range a.strs {
			coll = coll.u16(uint16(i + 1)).u16(1).u32(0).u64(uint64(len(str))).raw(le(str).pad8())
		}
		coll = coll.u16(0).u16(0).u32(0).u64(16) // free space
		coll = coll.raw(make([]byte, 8))
		binary.LittleEndian.PutUint64(coll[8:], uint64(len(coll)))
		addr := w.alloc(len(coll))
		w.put(addr, coll)
		dt = le(nil).u8(0x19).u8(0x01).u8(0).u8(0).u32(16).raw(h5wString(1))
		ds = h5wSpace(len(a.strs))
		for i, str := range a.strs {
			data = le(data).u32(uint32(len(str))).u64(addr).u32(uint32(i + 1))
		}
	default:
		size := 1
		for _, s := range a.strs {
			size = max(size, len(s))
		}
		dt = h5wString(size)
		if a.scalar {
			ds = h5wSpace()
		} else {
			ds = h5wSpace(len(a.strs))
		}
		for _, s := range a.strs {
			data = append(data, s...)
			data = append(data, make([]byte, size-len(s))...)
		}
	}
	b := le(nil).u8(1).u8(0).u16(uint16(len(a.name) + 1)).u16(uint16(len(dt))).u16(uint16(len(ds))).
		raw(le(append([]byte(a.name), 0)).pad8()).raw(le(dt).pad8()).raw(le(ds).pad8()).raw(data)
	return h5wMsg{0x0C, b}
}

// write writes node and what is below it; for a group it also returns its
// B-tree and local heap addresses.
func (w *h5w) write(node *h5wNode) (addr, btree, heap uint64) {
	var attrs []h5wMsg
	for _, a := range node.attrs {
		attrs = append(attrs, w.attrMsg(a))
	}
	if node.isData {
		dataAddr := w.alloc(len(node.raw))
		w.put(dataAddr, node.raw)
		layout := node.layout
		if layout == nil {
			layout = le(nil).u8(3).u8(1).u64(dataAddr).u64(uint64(len(node.raw)))
		}
		msgs := []h5wMsg{
			{0x01, h5wSpace(node.dims...)},
			{0x03, node.dtype},
			{0x00, make([]byte, 8)},      // a NIL message, to skip
			{0x12, le(nil).u8(1).u32(0)}, // a modification time, to ignore
			{0x08, layout},
		}
		return w.header(append(msgs, attrs...), nil), 0, 0
	}
	names := make([]string, 0, len(node.children))
	for n := range node.children {
		names = append(names, n)
	}
	sort.Strings(names) // HDF5 keeps a group's entries sorted by name
	children := make([]uint64, len(names))
	for i, n := range names {
		children[i], _, _ = w.write(node.children[n])
	}
	// Local heap: "" at offset 0, then the names, 8-aligned.
	heapData := le(make([]byte, 8))
	offsets := make([]uint64, len(names))
	for i, n := range names {
		offsets[i] = uint64(len(heapData))
		heapData = le(append(heapData, n...)).u8(0).pad8()
	}
	dataAddr := w.alloc(len(heapData))
	w.put(dataAddr, heapData)
	heap = w.alloc(32)
	w.put(heap, le([]byte("HEAP")).u8(0).raw([]byte{0, 0, 0}).u64(uint64(len(heapData))).u64(1).u64(dataAddr))
	// Symbol-table nodes of at most 2K = 8 entries (each allocated full).
	const leafK, internalK = 4, 16
	type sub struct {
		addr    uint64
		lastKey uint64 // heap offset of its last name
	}
	var level []sub
	for start := 0; start < len(names) || (start == 0 && len(level) == 0); start += 2 * leafK {
		end := min(start+2*leafK, len(names))
		b := le([]byte("SNOD")).u8(1).u8(0).u16(uint16(end - start))
		for i := start; i < end; i++ {
			b = b.u64(offsets[i]).u64(children[i]).u32(0).u32(0).raw(make([]byte, 16))
		}
		snod := w.alloc(8 + 2*leafK*40)
		w.put(snod, b)
		last := uint64(0)
		if end > start {
			last = offsets[end-1]
		}
		level = append(level, sub{snod, last})
		if len(names) == 0 {
			break
		}
	}
	// B-tree nodes of at most 2K = 32 children, level by level.
	for depth := 0; ; depth++ {
		var up []sub
		for start := 0; start < len(level); start += 2 * internalK {
			end := min(start+2*internalK, len(level))
			b := le([]byte("TREE")).u8(0).u8(uint8(depth)).u16(uint16(end - start)).u64(h5wUndef).u64(h5wUndef).u64(0)
			for _, s := range level[start:end] {
				b = b.u64(s.addr).u64(s.lastKey)
			}
			node := w.alloc(24 + (2*internalK+1)*8 + 2*internalK*8)
			w.put(node, b)
			up = append(up, sub{node, level[end-1].lastKey})
		}
		level = up
		if len(level) == 1 {
			break
		}
	}
	btree = level[0].addr
	stab := h5wMsg{0x11, le(nil).u64(btree).u64(heap)}
	return w.header([]h5wMsg{stab}, attrs), btree, heap
}

// h5wFile returns the bytes of an HDF5 file whose root group is root.
func h5wFile(root *h5wNode) []byte {
	w := &h5w{}
	w.alloc(96) // the superblock, written last
	addr, btree, heap := w.write(root)
	sb := le([]byte("\x89HDF\r\n\x1a\n")).u8(0).u8(0).u8(0).u8(0).u8(0).u8(8).u8(8).u8(0).
		u16(4).u16(16).u32(0).
		u64(0).u64(h5wUndef).u64(uint64(len(w.buf))).u64(h5wUndef).
		u64(0).u64(addr).u32(1).u32(0).u64(btree).u64(heap)
	w.put(0, sb)
	return w.buf
}

// kerasFileSpec describes a Keras weights file to generate.
type kerasFileSpec struct {
	layers  []string                // layer_names, in order
	weights map[string][]kerasValue // weights of the layers that have some
	// splitNames splits layer_names into layer_names0, layer_names1, ...
	splitNames int
	// modelWeights puts the layers in /model_weights, as model.save does.
	modelWeights bool
	// varLen writes the names as variable-length strings.
	varLen bool
}

type kerasValue struct {
	name   string // Keras weight name, e.g. "conv1/7x7_s2/kernel:0"
	dims   []int
	values []float32
	// dtype of the dataset: "" (float32), "f2", "f8", ">f4" (big endian), "i4".
	dtype string
}

// encode returns the dataset bytes and datatype message of v.
func (v kerasValue) encode() (raw, dtype []byte) {
	switch v.dtype {
	case "f8":
		for _, x := range v.values {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(float64(x)))
		}
		return raw, h5wFloat(8, false)
	case ">f4":
		for _, x := range v.values {
			raw = binary.BigEndian.AppendUint32(raw, math.Float32bits(x))
		}
		return raw, h5wFloat(4, true)
	case "f2":
		for _, x := range v.values {
			raw = binary.LittleEndian.AppendUint16(raw, float32ToHalf(x))
		}
		return raw, h5wFloat(2, false)
	case "i4":
		for _, x := range v.values {
			raw = binary.LittleEndian.AppendUint32(raw, uint32(int32(x)))
		}
		return raw, h5wInt32()
	}
	raw = make([]byte, 0, 4*len(v.values))
	for _, x := range v.values {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	return raw, h5wFloat(4, false)
}

// float32ToHalf converts values that are exactly representable in half
// precision (the tests use such values).
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	if f == 0 {
		return sign
	}
	exp := int((b>>23)&0xff) - 127 + 15
	return sign | uint16(exp)<<10 | uint16((b>>13)&0x3ff)
}

// kerasTree returns the HDF5 tree of the Keras file spec describes.
func kerasTree(spec kerasFileSpec) *h5wNode {
	root := newGroup()
	wg := root
	if spec.modelWeights {
		wg = root.group("model_weights")
		root.attrs = append(root.attrs, h5wAttr{name: "model_config", strs: []string{`{"class_name": "Functional"}`}, scalar: true})
	}
	if spec.splitNames > 0 {
		for i := 0; i*spec.splitNames < len(spec.layers); i++ {
			chunk := spec.layers[i*spec.splitNames : min((i+1)*spec.splitNames, len(spec.layers))]
			wg.attrs = append(wg.attrs, h5wAttr{name: fmt.Sprintf("layer_names%d", i), strs: chunk, varLen: spec.varLen})
		}
	} else {
		wg.attrs = append(wg.attrs, h5wAttr{name: "layer_names", strs: spec.layers, varLen: spec.varLen})
	}
	wg.attrs = append(wg.attrs,
		h5wAttr{name: "backend", strs: []string{"tensorflow"}, scalar: true},
		h5wAttr{name: "keras_version", strs: []string{"2.2.4"}, scalar: true})
	for _, l := range spec.layers {
		g := wg.group(l)
		ws := spec.weights[l]
		if len(ws) == 0 {
			g.attrs = append(g.attrs, h5wAttr{name: "weight_names", empty: true})
			continue
		}
		var names []string
		for _, v := range ws {
			names = append(names, v.name)
			raw, dt := v.encode()
			g.put(v.name, &h5wNode{isData: true, dims: v.dims, raw: raw, dtype: dt})
		}
		g.attrs = append(g.attrs, h5wAttr{name: "weight_names", strs: names, varLen: spec.varLen})
	}
	return root
}

// writeKerasFile writes spec as a Keras HDF5 file at path, after the edits
// of its HDF5 tree.
func writeKerasFile(t testing.TB, path string, spec kerasFileSpec, edits ...func(root *h5wNode)) {
	t.Helper()
	root := kerasTree(spec)
	for _, e := range edits {
		e(root)
	}
	if err := os.WriteFile(path, h5wFile(root), 0o644); err != nil {
		t.Fatal(err)
	}
}

// resnet50KerasLayers returns the layer_names of keras-vggface's
// ResNet-50 without top as Keras 2 names them: its layers with weights and
// those without (input, activations, poolings, additions).
func resnet50KerasLayers() []string {
	act, add := 0, 0
	activation := func() string { act++; return fmt.Sprintf("activation_%d", act) }
	layers := []string{"input_1", "conv1/7x7_s2", "conv1/7x7_s2/bn", activation(), "max_pooling2d_1"}
	for _, b := range resnet50Blocks() {
		reduce, conv3, increase, proj := b.names()
		layers = append(layers, reduce, reduce+"/bn", activation(), conv3, conv3+"/bn", activation(), increase)
		if b.conv {
			layers = append(layers, proj, increase+"/bn", proj+"/bn")
		} else {
			layers = append(layers, increase+"/bn")
		}
		add++
		layers = append(layers, fmt.Sprintf("add_%d", add), activation())
	}
	return append(layers, "avg_pool")
}

// resnetKerasSpec returns a Keras file spec with the layers of
// keras-vggface's ResNet-50 and deterministic pseudo-random weights, the
// weights the loader should expect, and the values each variable should
// get, by store path. limit > 0 keeps only the weights of the first limit
// convolutions (and their batch normalizations).
func resnetKerasSpec(limit int) (kerasFileSpec, []kerasWeight, map[string][]float32) {
	spec := kerasFileSpec{weights: map[string][]kerasValue{}}
	kept := map[string]bool{}
	for i, c := range resnet50Convs(3) {
		if limit <= 0 || i < limit {
			kept[c.name], kept[c.name+"/bn"] = true, true
		}
	}
	withWeights := map[string]bool{}
	for _, n := range ResNet50Layers() {
		withWeights[n] = true
	}
	for _, l := range resnet50KerasLayers() {
		if !withWeights[l] || kept[l] {
			spec.layers = append(spec.layers, l)
		}
	}
	rng := rand.New(rand.NewPCG(5, 9))
	want := map[string][]float32{}
	var expected []kerasWeight
	for _, w := range resnet50Weights("/", 3) {
		if !kept[w.layer] {
			continue
		}
		expected = append(expected, w)
		vals := make([]float32, prod(w.shape))
		for i := range vals {
			vals[i] = float32(rng.IntN(2048)-1024) / 1024 // exact in float16 too
		}
		if w.name == "moving_variance" {
			for i := range vals {
				vals[i] = 0.5 + float32(i%64)/64
			}
		}
		spec.weights[w.layer] = append(spec.weights[w.layer], kerasValue{name: w.layer + "/" + w.name + ":0", dims: w.shape, values: vals})
		want[w.path] = vals
	}
	return spec, expected, want
}

// checkStore checks that store holds want, path by path.
func checkStore(t *testing.T, store *model.Store, want map[string][]float32, prefix string) {
	t.Helper()
	for path, vals := range want {
		p := strings.TrimSuffix(prefix, "/") + path
		v := store.GetVariable(p)
		if v == nil {
			t.Errorf("no variable %s after loading", p)
			continue
		}
		got, err := tensors.CopyFlatData[float32](v.MustValue())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, vals) {
			t.Errorf("variable %s: values differ from the file's", p)
		}
		wantTrainable := !strings.HasSuffix(p, "/moving_mean") && !strings.HasSuffix(p, "/moving_variance")
		if v.Trainable != wantTrainable {
			t.Errorf("variable %s: trainable %v, want %v", p, v.Trainable, wantTrainable)
		}
	}
}

// The whole keras-vggface ResNet-50 layout, full size (94 MB): every
// weight lands in the variable of the same name, in a store and in
// FERResNet50's ResNet50 layer, and a forward pass uses them.
func TestKerasH5ResNet50Full(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 94 MB file")
	}
	start := time.Now()
	spec, expected, want := resnetKerasSpec(0)
	if len(expected) != 5*53 {
		t.Fatalf("%d weights, want 265 (53 convolutions and their batch normalizations)", len(expected))
	}
	path := filepath.Join(t.TempDir(), "rcmalli_vggface_tf_notop_resnet50.h5")
	writeKerasFile(t, path, spec)
	st, _ := os.Stat(path)
	t.Logf("generated %s: %d layers (%d with weights), %.1f MB, in %v", filepath.Base(path), len(spec.layers), len(spec.weights), float64(st.Size())/1e6, time.Since(start))

	layers, err := ListKerasH5(path)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, l := range layers {
		for _, w := range l.Weights {
			total += prod(w.Shape)
			if w.DType != "float32" {
				t.Errorf("%s: dtype %s", w.Name, w.DType)
			}
		}
	}
	if len(layers) != len(spec.layers) || total != ResNet50Params {
		t.Errorf("ListKerasH5: %d layers, %d values; want %d, %d", len(layers), total, len(spec.layers), ResNet50Params)
	}

	start = time.Now()
	store := model.NewStore()
	if err := LoadResNet50H5(store, "/", path, KerasH5Options{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("LoadResNet50H5: %v", time.Since(start))
	checkStore(t, store, want, "/")
	if n := store.NumVariables(); n != len(want) {
		t.Errorf("%d variables in the store, want %d", n, len(want))
	}

	m := FERResNet50()
	start = time.Now()
	if err := m.LoadKerasH5(path, KerasH5Options{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("Model.LoadKerasH5: %v", time.Since(start))
	checkStore(t, m.Store(), want, "/vggface_resnet50")

	// A forward pass (inference) on a small image uses the loaded weights
	// and leaves them as they are.
	needBackend(t)
	_ = store.SetRNGStateFromSeed(1)
	exec, err := model.NewExec(MustBackend(), store, ResNet50{SkipAvgPool: true}.Build)
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromFlatDataAndDimensions(make([]float32, 32*32*3), 1, 32, 32, 3)
	out, err := exec.Exec(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Shape().Dimensions; !slices.Equal(got, []int{1, 1, 1, 2048}) {
		t.Errorf("forward pass: output %v, want [1 1 1 2048]", got)
	}
	checkStore(t, store, map[string][]float32{"/conv1/7x7_s2/kernel": want["/conv1/7x7_s2/kernel"],
		"/conv5_3_1x1_increase/bn/moving_variance": want["/conv5_3_1x1_increase/bn/moving_variance"]}, "/")
}

// smallSpec is the layout of the ResNet-50's first two convolutions.
func smallSpec() (kerasFileSpec, []kerasWeight, map[string][]float32) { return resnetKerasSpec(2) }

// loadSmall writes spec and loads it with the expected weights into a new store.
func loadSmall(t *testing.T, spec kerasFileSpec, expected []kerasWeight, opts KerasH5Options) (*model.Store, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.h5")
	writeKerasFile(t, path, spec)
	store := model.NewStore()
	return store, loadKerasWeights(store, expected, path, opts)
}

func TestKerasH5Variants(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*kerasFileSpec)
	}{
		{"plain", func(*kerasFileSpec) {}},
		{"layer_names split in chunks", func(s *kerasFileSpec) { s.splitNames = 3 }},
		{"whole model (model_weights)", func(s *kerasFileSpec) { s.modelWeights = true }},
		{"variable-length names", func(s *kerasFileSpec) { s.varLen, s.splitNames = true, 5 }},
		{"float64, big-endian float32 and float16 datasets", func(s *kerasFileSpec) {
			ws := s.weights["conv1/7x7_s2/bn"]
			ws[0].dtype, ws[1].dtype, ws[2].dtype = "f8", ">f4", "f2"
			s.weights["conv2_1_1x1_reduce"][0].dtype = "f8"
		}},
		{"weights listed in another order, other name prefix", func(s *kerasFileSpec) {
			ws := s.weights["conv1/7x7_s2/bn"]
			ws[0], ws[3] = ws[3], ws[0]
			for i := range ws {
				ws[i].name = strings.Replace(ws[i].name, "conv1/7x7_s2/bn/", "conv1/7x7_s2/bn_1/", 1)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, expected, want := smallSpec()
			tc.edit(&spec)
			store, err := loadSmall(t, spec, expected, KerasH5Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkStore(t, store, want, "/")
		})
	}
}

// errorContains checks that err is an error whose message holds every part.
func errorContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q\ndoes not contain %q", err, p)
		}
	}
}

func TestKerasH5Mismatches(t *testing.T) {
	t.Run("wrong shape", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		v := &spec.weights["conv1/7x7_s2"][0]
		v.dims = []int{64, 3, 7, 7} // channels-first, as Theano's
		store, err := loadSmall(t, spec, expected, KerasH5Options{})
		errorContains(t, err, `layer "conv1/7x7_s2"`, `weight "conv1/7x7_s2/kernel:0"`, "expects shape [7 7 3 64]", "file has [64 3 7 7]")
		if store.NumVariables() != 0 {
			t.Errorf("a failed load left %d variables in the store", store.NumVariables())
		}
	})
	t.Run("missing layer", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		delete(spec.weights, "conv2_1_1x1_reduce/bn")
		_, err := loadSmall(t, spec, expected, KerasH5Options{})
		errorContains(t, err, "does not match the model", "1 of the model's 4 layers with weights are missing", `"conv2_1_1x1_reduce/bn"`)
	})
	t.Run("missing layer group", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		path := filepath.Join(t.TempDir(), "w.h5")
		writeKerasFile(t, path, spec, func(root *h5wNode) { delete(root.children, "max_pooling2d_1") })
		err := loadKerasWeights(model.NewStore(), expected, path, KerasH5Options{})
		errorContains(t, err, `layer "max_pooling2d_1" (listed in layer_names)`, `no object "max_pooling2d_1"`)
	})
	t.Run("missing dataset", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		path := filepath.Join(t.TempDir(), "w.h5")
		writeKerasFile(t, path, spec, func(root *h5wNode) {
			delete(root.group("conv1/7x7_s2/bn/conv1/7x7_s2/bn").children, "beta:0")
		})
		err := loadKerasWeights(model.NewStore(), expected, path, KerasH5Options{})
		errorContains(t, err, `layer "conv1/7x7_s2/bn" weight "conv1/7x7_s2/bn/beta:0"`, `no object "conv1/7x7_s2/bn/beta:0"`)
	})
	t.Run("chunked dataset", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		path := filepath.Join(t.TempDir(), "w.h5")
		writeKerasFile(t, path, spec, func(root *h5wNode) {
			ds := root.group("conv1/7x7_s2/bn/conv1/7x7_s2/bn").children["beta:0"]
			ds.layout = le(nil).u8(3).u8(2).u8(2).u64(0).u32(64).u32(4)
		})
		err := loadKerasWeights(model.NewStore(), expected, path, KerasH5Options{})
		errorContains(t, err, `"conv1/7x7_s2/bn/beta:0"`, "chunked datasets are not supported")
	})
	t.Run("unexpected layer", func(t *testing.T) {
		spec, expected, want := smallSpec()
		spec.layers = append(spec.layers, "classifier")
		spec.weights["classifier"] = []kerasValue{{name: "classifier/kernel:0", dims: []int{2, 3}, values: make([]float32, 6)}}
		_, err := loadSmall(t, spec, expected, KerasH5Options{})
		errorContains(t, err, "the file has 1 layers with weights that the model does not have", `"classifier"`, "AllowExtraLayers")
		store, err := loadSmall(t, spec, expected, KerasH5Options{AllowExtraLayers: true})
		if err != nil {
			t.Fatalf("with AllowExtraLayers: %v", err)
		}
		checkStore(t, store, want, "/")
	})
	t.Run("missing weight", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		spec.weights["conv1/7x7_s2/bn"] = spec.weights["conv1/7x7_s2/bn"][:3]
		_, err := loadSmall(t, spec, expected, KerasH5Options{})
		errorContains(t, err, `layer "conv1/7x7_s2/bn" has no weight "moving_variance"`, `"conv1/7x7_s2/bn/beta:0"`)
	})
	t.Run("extra weight", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		spec.weights["conv1/7x7_s2"] = append(spec.weights["conv1/7x7_s2"],
			kerasValue{name: "conv1/7x7_s2/bias:0", dims: []int{64}, values: make([]float32, 64)})
		_, err := loadSmall(t, spec, expected, KerasH5Options{})
		errorContains(t, err, `layer "conv1/7x7_s2" has weights the model does not have: conv1/7x7_s2/bias:0`)
	})
	t.Run("integer weights", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		spec.weights["conv1/7x7_s2/bn"][0].dtype = "i4"
		_, err := loadSmall(t, spec, expected, KerasH5Options{})
		errorContains(t, err, `"conv1/7x7_s2/bn/gamma:0"`, "stored as int32, want floating point")
	})
	t.Run("model variable of another shape", func(t *testing.T) {
		spec, expected, _ := smallSpec()
		path := filepath.Join(t.TempDir(), "w.h5")
		writeKerasFile(t, path, spec)
		store := model.NewStore()
		if _, err := store.CreateVariable("/conv1/7x7_s2/kernel", tensors.FromFlatDataAndDimensions(make([]float32, 7*7*1*64), 7, 7, 1, 64)); err != nil {
			t.Fatal(err)
		}
		err := loadKerasWeights(store, expected, path, KerasH5Options{})
		errorContains(t, err, "variable /conv1/7x7_s2/kernel is", "[7 7 1 64]", `layer "conv1/7x7_s2" weight "kernel"`)
	})
	t.Run("model without ResNet50", func(t *testing.T) {
		err := FERCNN().LoadKerasH5("nowhere.h5", KerasH5Options{})
		errorContains(t, err, "has no ResNet50 layer")
	})
}

// Bad files: errors, never panics.
func TestKerasH5BadFiles(t *testing.T) {
	dir := t.TempDir()
	spec, expected, _ := smallSpec()
	good := filepath.Join(dir, "good.h5")
	writeKerasFile(t, good, spec)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	load := func(name string, b []byte) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		store := model.NewStore()
		err := loadKerasWeights(store, expected, p, KerasH5Options{})
		if err != nil && store.NumVariables() != 0 {
			t.Errorf("%s: a failed load left %d variables in the store", name, store.NumVariables())
		}
		return err
	}
	errorContains(t, load("empty.h5", nil), "not an HDF5 file")
	errorContains(t, load("text.h5", []byte("this is not an HDF5 file, just text\n")), "not an HDF5 file")
	errorContains(t, LoadResNet50H5(model.NewStore(), "/", filepath.Join(dir, "missing.h5"), KerasH5Options{}), "no such file")
	errorContains(t, load("plain.h5", h5wFile(newGroup())), "not a Keras weights file")

	// Truncated anywhere: an error that says so (or that the file does not
	// match, when the cut only removed a dataset's tail... which the size
	// checks catch too).
	for _, cut := range []int{8, 50, 96, 200, len(data) / 3, len(data) / 2, len(data) - 100, len(data) - 1} {
		err := load("cut.h5", data[:cut])
		if err == nil {
			t.Errorf("file cut at %d of %d bytes: no error", cut, len(data))
			continue
		}
		if !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "beyond the end") && !strings.Contains(err.Error(), "not an HDF5 file") {
			t.Errorf("file cut at %d of %d bytes: error %q does not say it is truncated", cut, len(data), err)
		}
	}
	// Every prefix of the metadata, and random corruptions: never a panic.
	for cut := 0; cut < min(len(data), 4096); cut += 7 {
		_ = load("cut.h5", data[:cut])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		b := slices.Clone(data)
		for range 1 + rng.IntN(8) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		_ = load("corrupt.h5", b)
	}
	// The good file still loads.
	if err := load("good2.h5", data); err != nil {
		t.Fatal(err)
	}
}

// keraSavePy writes a Keras-2-layout weights file with h5py, with the code
// of Keras 2.2.4's save_weights_to_hdf5_group (keras/engine/saving.py), the
// layers and weight shapes taken from a JSON manifest and the values from a
// formula the test recomputes. Usage: keras_save.py manifest.json out.h5 [libver].
const kerasSavePy = `import json, sys
import numpy as np
import h5py

HDF5_OBJECT_HEADER_LIMIT = 64512

def save_attributes_to_hdf5_group(group, name, data):
    data_npy = np.asarray(data)
    num_chunks = 1
    chunked_data = np.array_split(data_npy, num_chunks)
    while any(x.nbytes > HDF5_OBJECT_HEADER_LIMIT for x in chunked_data):
        num_chunks += 1
        chunked_data = np.array_split(data_npy, num_chunks)
    if num_chunks > 1:
        for chunk_id, chunk_data in enumerate(chunked_data):
            group.attrs['%s%d' % (name, chunk_id)] = chunk_data
    else:
        group.attrs[name] = data

manifest = json.load(open(sys.argv[1]))
kw = {}
if len(sys.argv) > 3:
    kw['libver'] = sys.argv[3]
with h5py.File(sys.argv[2], 'w', **kw) as f:
    save_attributes_to_hdf5_group(f, 'layer_names', [l['name'].encode('utf8') for l in manifest])
    f.attrs['backend'] = 'tensorflow'.encode('utf8')
    f.attrs['keras_version'] = '2.2.4'.encode('utf8')
    k = 0
    for layer in manifest:
        g = f.create_group(layer['name'])
        weight_names = [w['name'].encode('utf8') for w in layer['weights']]
        save_attributes_to_hdf5_group(g, 'weight_names', weight_names)
        for w, name in zip(layer['weights'], weight_names):
            i = np.arange(int(np.prod(w['shape'])), dtype=np.int64)
            if w['name'].endswith('moving_variance:0'):
                val = 0.5 + (i % 64) / 64.0
            else:
                val = ((i * 31 + k * 17) % 2001 - 1000) / 1000.0
            val = val.astype(np.float32).reshape(w['shape'])
            k += 1
            d = g.create_dataset(name, val.shape, dtype=val.dtype)
            d[:] = val
`

// h5pyPython returns a Python interpreter that has h5py, or skips the test.
func h5pyPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("FER_PYTHON"), "python3", "/usr/bin/python3"} {
		if p == "" {
			continue
		}
		if exec.Command(p, "-c", "import h5py, numpy").Run() == nil {
			return p
		}
	}
	t.Skip("no Python with h5py (set $FER_PYTHON): the file h5py writes is not checked")
	return ""
}

// A file written by h5py, the library Keras writes .h5 files with, as
// Keras 2.2.4 writes weights, with keras-vggface's ResNet-50 layers and
// shapes (full size): the loader reads it and every value lands in the
// variable of the same name. Skipped where no Python with h5py is
// installed; run where one is (Debian: apt-get install python3-h5py).
func TestKerasH5ReadsH5pyFile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 94 MB file")
	}
	python := h5pyPython(t)
	dir := t.TempDir()
	type mWeight struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	}
	type mLayer struct {
		Name    string    `json:"name"`
		Weights []mWeight `json:"weights"`
	}
	byLayer := map[string][]kerasWeight{}
	for _, w := range resnet50Weights("/", 3) {
		byLayer[w.layer] = append(byLayer[w.layer], w)
	}
	manifest := []mLayer{}
	want := map[string][]float32{}
	k := 0
	for _, name := range resnet50KerasLayers() {
		l := mLayer{Name: name, Weights: []mWeight{}}
		for _, w := range byLayer[name] {
			l.Weights = append(l.Weights, mWeight{Name: w.layer + "/" + w.name + ":0", Shape: w.shape})
			vals := make([]float32, prod(w.shape))
			for i := range vals {
				if w.name == "moving_variance" {
					vals[i] = float32(0.5 + float64(i%64)/64)
				} else {
					vals[i] = float32(float64((i*31+k*17)%2001-1000) / 1000)
				}
			}
			want[w.path] = vals
			k++
		}
		manifest = append(manifest, l)
	}
	mj, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	mPath, script := filepath.Join(dir, "manifest.json"), filepath.Join(dir, "keras_save.py")
	if err := os.WriteFile(mPath, mj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(kerasSavePy), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "h5py.h5")
	if out, err := exec.Command(python, script, mPath, path).CombinedOutput(); err != nil {
		t.Fatalf("writing the file with h5py: %v\n%s", err, out)
	}
	store := model.NewStore()
	if err := LoadResNet50H5(store, "/", path, KerasH5Options{}); err != nil {
		t.Fatal(err)
	}
	checkStore(t, store, want, "/")

	// h5py's libver="latest" format (not what Keras writes): large groups
	// are then stored densely, which the reader refuses clearly.
	latest := filepath.Join(dir, "latest.h5")
	if out, err := exec.Command(python, script, mPath, latest, "latest").CombinedOutput(); err != nil {
		t.Fatalf("writing the file with h5py: %v\n%s", err, out)
	}
	err = LoadResNet50H5(model.NewStore(), "/", latest, KerasH5Options{})
	errorContains(t, err, "dense link storage")
}

func TestFindVGGFaceResNet50(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	if _, err := FindVGGFaceResNet50(dir); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join(dir, "vggface")) {
		t.Errorf("empty folder: %v, want fs.ErrNotExist saying where it looked", err)
	}
	want := filepath.Join(dir, "vggface", VGGFaceResNet50File)
	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := FindVGGFaceResNet50(dir); err != nil || got != want {
		t.Errorf("FindVGGFaceResNet50 = %q, %v; want %q", got, err, want)
	}
}

// FuzzKerasH5Read reads arbitrary bytes as a Keras HDF5 file: errors are
// fine, panics are not. The seeds (run by go test) are a small Keras file
// and pieces of it; go test -fuzz FuzzKerasH5Read ./fer explores further.
func FuzzKerasH5Read(f *testing.F) {
	spec, _, _ := smallSpec()
	spec.splitNames = 10
	good := h5wFile(kerasTree(spec))
	spec.varLen = true
	f.Add(good)
	f.Add(h5wFile(kerasTree(spec)))
	f.Add(good[:len(good)/2])
	f.Add(h5wFile(newGroup()))
	f.Fuzz(func(t *testing.T, b []byte) {
		kf, err := readKerasH5(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, l := range kf.layers {
			for _, w := range l.weights {
				if w.ds.n <= 1<<16 && prod(w.shape) <= 1<<16 {
					if t, err := kf.readWeight(w); err == nil {
						_ = t.FinalizeAll()
					}
				}
			}
		}
	})
}
