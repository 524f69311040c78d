package fer

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Checkpoints are written here rather than with GoMLX's ml/model/checkpoint
// because that package creates its files in place, without fsync or rename:
// a process killed while saving leaves a truncated checkpoint that is then
// picked as the latest. Here each checkpoint is one file, written to a
// temporary name in the same directory, synced and renamed over its final
// name, and it carries a CRC-32, so a kill at any moment leaves either the
// previous checkpoint or the new one. A checkpoint holds every variable of
// the model's store (weights, batch-normalization averages, optimizer state,
// step counters and the random-number state of dropout), the history,
// early stopping's and ReduceLROnPlateau's states, so a resumed run continues exactly where the
// saved one was.
//
// File layout: "FERCKPT1", the header length (uint64, little endian), the
// header (JSON), the variables' raw bytes, and the CRC-32 (IEEE, uint32
// little endian) of everything before it.

// ErrNoCheckpoint is returned by LoadCheckpoint when the directory holds no
// checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

const (
	ckptMagic  = "FERCKPT1"
	ckptFormat = 1
	ckptKeep   = 2 // checkpoints kept in a directory: the newest ones
)

var ckptName = regexp.MustCompile(`^epoch-(\d{6,})\.ckpt$`)

// ckptHeader is the JSON header of a checkpoint file.
type ckptHeader struct {
	Format    int
	Model     string
	Signature string
	Seed      int64
	Epoch     int // epochs completed
	Target    int // epochs the run that saved it was asked for
	Optimizer string
	Loss      Loss
	History   jsonHistory
	Early     *earlyState   `json:",omitempty"`
	Plateau   *plateauState `json:",omitempty"` // ReduceLROnPlateau's state
	Variables []ckptVar
	Best      []ckptVar `json:",omitempty"` // early stopping's best weights
}

// ckptVar locates one variable's bytes in the file.
type ckptVar struct {
	Path      string
	DType     string
	Dims      []int
	Trainable bool
	Offset    int64 // from the end of the header
	Size      int64
}

// jsonHistory is History without NaNs, which JSON cannot hold.
type jsonHistory struct {
	Epoch                          []int
	Loss, Accuracy, ValLoss, ValAc []float64
	HasVal                         []bool
	Seconds                        []float64
	// LearningRate per epoch, 0 where unknown (HasLR false); both are
	// absent from checkpoints written before they were recorded.
	LearningRate []float64 `json:",omitempty"`
	HasLR        []bool    `json:",omitempty"`
	BestEpoch    int
	StoppedEarly bool
}

func toJSONHistory(h History) jsonHistory {
	j := jsonHistory{Epoch: h.Epoch, Loss: h.Loss, Accuracy: h.Accuracy, Seconds: h.Seconds,
		BestEpoch: h.BestEpoch, StoppedEarly: h.StoppedEarly}
	for i := range h.Len() {
		lr := math.NaN()
		if i < len(h.LearningRate) {
			lr = h.LearningRate[i]
		}
		known := !math.IsNaN(lr) && !math.IsInf(lr, 0)
		j.HasLR = append(j.HasLR, known)
		if !known {
			lr = 0
		}
		j.LearningRate = append(j.LearningRate, lr)
		ok := !math.IsNaN(h.ValLoss[i])
		j.HasVal = append(j.HasVal, ok)
		if ok {
			j.ValLoss = append(j.ValLoss, h.ValLoss[i])
			j.ValAc = append(j.ValAc, h.ValAccuracy[i])
		} else {
			j.ValLoss = append(j.ValLoss, 0)
			j.ValAc = append(j.ValAc, 0)
		}
	}
	return j
}

func (j jsonHistory) history() (History, error) {
	n := len(j.Epoch)
	if len(j.Loss) != n || len(j.Accuracy) != n || len(j.ValLoss) != n || len(j.ValAc) != n || len(j.HasVal) != n || len(j.Seconds) != n {
		return History{}, errors.New("history columns have different lengths")
	}
	if (len(j.LearningRate) != 0 || len(j.HasLR) != 0) && (len(j.LearningRate) != n || len(j.HasLR) != n) {
		return History{}, errors.New("history columns have different lengths")
	}
	h := History{Epoch: j.Epoch, Loss: j.Loss, Accuracy: j.Accuracy, Seconds: j.Seconds,
		BestEpoch: j.BestEpoch, StoppedEarly: j.StoppedEarly}
	for i := range n {
		v, a := j.ValLoss[i], j.ValAc[i]
		if !j.HasVal[i] {
			v, a = math.NaN(), math.NaN()
		}
		h.ValLoss = append(h.ValLoss, v)
		h.ValAccuracy = append(h.ValAccuracy, a)
		lr := math.NaN()
		if i < len(j.HasLR) && j.HasLR[i] {
			lr = j.LearningRate[i]
		}
		h.LearningRate = append(h.LearningRate, lr)
	}
	return h, nil
}

// namedTensor is a variable's value, on the host.
type namedTensor struct {
	path      string
	trainable bool
	t         *tensors.Tensor
}

// ckptFile is a checkpoint read back.
type ckptFile struct {
	path   string
	header ckptHeader
	vars   []namedTensor
	best   []namedTensor
}

// learningRatePath is the optimizer's learning-rate variable: not saved, so
// a resumed run uses the learning rate it is given (Fit sets it at the
// start of every epoch, from the schedule if any).
var learningRatePath = model.JoinPath("/", optimizer.Scope, optimizer.ParamLearningRate)

// isModelWeight tells whether a store path belongs to one of the layers.
func (m *Model) isModelWeight(path string) bool {
	for _, n := range m.names {
		if strings.HasPrefix(path, "/"+n+"/") {
			return true
		}
	}
	return false
}

// snapshot copies to the host the values of the store's variables that keep
// says to (all of them when keep is nil).
func (m *Model) snapshot(keep func(path string) bool) ([]namedTensor, error) {
	var out []namedTensor
	for v := range m.store.IterVariables() {
		if !v.HasValue() || (keep != nil && !keep(v.Path())) {
			continue
		}
		val, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("reading variable %s: %w", v.Path(), err)
		}
		c, err := val.LocalClone()
		if err != nil {
			return nil, fmt.Errorf("copying variable %s: %w", v.Path(), err)
		}
		out = append(out, namedTensor{path: v.Path(), trainable: v.Trainable, t: c})
	}
	return out, nil
}

// snapshotWeights copies the layers' weights (not the optimizer state).
func (m *Model) snapshotWeights() ([]namedTensor, error) { return m.snapshot(m.isModelWeight) }

// restoreWeights sets the store's variables to the given values, creating
// the variables that do not exist yet (their graphs are not built yet).
func (m *Model) restoreWeights(ws []namedTensor) error {
	for _, w := range ws {
		c, err := w.t.LocalClone() // the store takes ownership of what it is given
		if err != nil {
			return fmt.Errorf("copying %s: %w", w.path, err)
		}
		v := m.store.GetVariable(w.path)
		if v == nil {
			if v, err = m.store.CreateVariable(w.path, c); err != nil {
				return err
			}
		} else {
			if !v.Shape().Equal(c.Shape()) {
				return fmt.Errorf("variable %s is shaped %s in the model but %s in the checkpoint", w.path, v.Shape(), c.Shape())
			}
			if err := v.SetValue(c); err != nil {
				return fmt.Errorf("setting %s: %w", w.path, err)
			}
		}
		v.SetTrainable(w.trainable)
	}
	return nil
}

// SaveCheckpoint saves the model (weights, optimizer state, history) to a
// new checkpoint in dir, created if needed, named after the epochs done
// (epoch-000003.ckpt). The write is atomic: a crash leaves the previous
// checkpoints intact. Only the two newest checkpoints are kept.
func (m *Model) SaveCheckpoint(dir string) (err error) {
	defer recoverError(&err, "fer: SaveCheckpoint")
	return m.saveCheckpoint(dir, m.epochs, nil, nil, nil, ckptKeep)
}

// LoadCheckpoint restores the newest valid checkpoint in dir, saved by
// SaveCheckpoint or Fit for a model with the same layers: weights, optimizer
// state, epochs done and history. It returns an error wrapping
// ErrNoCheckpoint if there is none.
func (m *Model) LoadCheckpoint(dir string) (err error) {
	defer recoverError(&err, "fer: LoadCheckpoint")
	ck, err := m.restoreLatest(dir)
	if err != nil {
		return fmt.Errorf("fer: LoadCheckpoint: %w", err)
	}
	if ck == nil {
		return fmt.Errorf("fer: LoadCheckpoint: %s: %w", dir, ErrNoCheckpoint)
	}
	return nil
}

// LatestCheckpoint returns the path and epoch of the newest checkpoint file
// in dir, or "" and 0 if there is none (it does not check its contents).
func LatestCheckpoint(dir string) (path string, epoch int, err error) {
	list, err := listCheckpoints(dir)
	if err != nil || len(list) == 0 {
		return "", 0, err
	}
	return list[0].path, list[0].epoch, nil
}

type ckptEntry struct {
	path  string
	epoch int
}

// listCheckpoints returns dir's checkpoint files, newest first; none if dir
// does not exist.
func listCheckpoints(dir string) ([]ckptEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing checkpoints: %w", err)
	}
	var out []ckptEntry
	for _, e := range entries {
		mm := ckptName.FindStringSubmatch(e.Name())
		if mm == nil || e.IsDir() {
			continue
		}
		n, err := strconv.Atoi(mm[1])
		if err != nil {
			continue
		}
		out = append(out, ckptEntry{path: filepath.Join(dir, e.Name()), epoch: n})
	}
	slices.SortFunc(out, func(a, b ckptEntry) int { return b.epoch - a.epoch })
	return out, nil
}

// saveCheckpoint writes the model's state as dir/epoch-NNNNNN.ckpt and
// removes all but the keep newest checkpoints of dir.
func (m *Model) saveCheckpoint(dir string, target int, early *earlyState, best []namedTensor, plateau *plateauState, keep int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint directory: %w", err)
	}
	// Temporary files left by a process killed while saving.
	if stale, err := filepath.Glob(filepath.Join(dir, ".epoch-*.ckpt.tmp-*")); err == nil {
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}
	vars, err := m.snapshot(func(p string) bool { return p != learningRatePath })
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	h := ckptHeader{
		Format: ckptFormat, Model: m.name, Signature: m.signature(), Seed: m.seed,
		Epoch: m.epochs, Target: target, Optimizer: m.optimizer.String(), Loss: m.loss,
		History: toJSONHistory(m.history),
	}
	if early != nil {
		e := *early
		if math.IsInf(e.Best, 0) || math.IsNaN(e.Best) {
			e.Best = math.MaxFloat64
		}
		h.Early = &e
	}
	if plateau != nil {
		p := *plateau
		if math.IsInf(p.Best, 0) || math.IsNaN(p.Best) {
			p.Best = math.MaxFloat64
		}
		h.Plateau = &p
	}
	var blobs [][]byte
	var offset int64
	describe := func(list []namedTensor) ([]ckptVar, error) {
		var out []ckptVar
		for _, v := range list {
			var b []byte
			if err := v.t.ConstBytes(func(data []byte) { b = slices.Clone(data) }); err != nil {
				return nil, fmt.Errorf("checkpoint: reading %s: %w", v.path, err)
			}
			s := v.t.Shape()
			out = append(out, ckptVar{Path: v.path, DType: s.DType.String(), Dims: slices.Clone(s.Dimensions),
				Trainable: v.trainable, Offset: offset, Size: int64(len(b))})
			blobs = append(blobs, b)
			offset += int64(len(b))
		}
		return out, nil
	}
	if h.Variables, err = describe(vars); err != nil {
		return err
	}
	if h.Best, err = describe(best); err != nil {
		return err
	}
	header, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("checkpoint header: %w", err)
	}
	name := fmt.Sprintf("epoch-%06d.ckpt", m.epochs)
	err = writeFileAtomic(dir, name, func(w io.Writer) error {
		crc := crc32.NewIEEE()
		mw := io.MultiWriter(w, crc)
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
		for _, part := range append([][]byte{[]byte(ckptMagic), n[:], header}, blobs...) {
			if _, err := mw.Write(part); err != nil {
				return err
			}
		}
		var c [4]byte
		binary.LittleEndian.PutUint32(c[:], crc.Sum32())
		_, err := w.Write(c[:])
		return err
	})
	if err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	// Keep the newest ones; removal errors are harmless.
	if list, err := listCheckpoints(dir); err == nil && len(list) > keep {
		for _, e := range list[keep:] {
			_ = os.Remove(e.path)
		}
	}
	return nil
}

// writeFileAtomic writes dir/name through write: to a temporary file in dir,
// synced, then renamed over name, and the directory synced.
func writeFileAtomic(dir, name string, write func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// readCheckpoint reads and verifies one checkpoint file.
func readCheckpoint(path string) (*ckptFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < len(ckptMagic)+8+4 || string(data[:len(ckptMagic)]) != ckptMagic {
		return nil, fmt.Errorf("%s: not a fer checkpoint", path)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%s: checksum mismatch (truncated or corrupt file)", path)
	}
	hl := binary.LittleEndian.Uint64(body[len(ckptMagic):])
	start := uint64(len(ckptMagic) + 8)
	if hl > uint64(len(body))-start {
		return nil, fmt.Errorf("%s: header length %d past the end of the file", path, hl)
	}
	ck := &ckptFile{path: path}
	if err := json.Unmarshal(body[start:start+hl], &ck.header); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	if ck.header.Format != ckptFormat {
		return nil, fmt.Errorf("%s: format %d, this program reads format %d", path, ck.header.Format, ckptFormat)
	}
	blobs := body[start+hl:]
	decode := func(list []ckptVar) ([]namedTensor, error) {
		var out []namedTensor
		for _, v := range list {
			dt, ok := dtypes.MapOfNames[v.DType]
			if !ok {
				return nil, fmt.Errorf("%s: variable %s: unknown dtype %q", path, v.Path, v.DType)
			}
			if v.Offset < 0 || v.Size < 0 || v.Offset+v.Size > int64(len(blobs)) {
				return nil, fmt.Errorf("%s: variable %s: bytes [%d, +%d) past the end of the file", path, v.Path, v.Offset, v.Size)
			}
			shape := shapes.Make(dt, v.Dims...)
			if shape.ByteSize() != v.Size {
				return nil, fmt.Errorf("%s: variable %s: %d bytes for shape %s", path, v.Path, v.Size, shape)
			}
			t := tensors.FromShape(shape)
			if err := t.MutableBytes(func(b []byte) { copy(b, blobs[v.Offset:v.Offset+v.Size]) }); err != nil {
				return nil, err
			}
			out = append(out, namedTensor{path: v.Path, trainable: v.Trainable, t: t})
		}
		return out, nil
	}
	if ck.vars, err = decode(ck.header.Variables); err != nil {
		return nil, err
	}
	if ck.best, err = decode(ck.header.Best); err != nil {
		return nil, err
	}
	if ck.header.Early != nil && ck.header.Early.Best == math.MaxFloat64 {
		ck.header.Early.Best = math.Inf(1)
	}
	if ck.header.Plateau != nil && ck.header.Plateau.Best == math.MaxFloat64 {
		ck.header.Plateau.Best = math.Inf(1)
	}
	return ck, nil
}

// restoreLatest restores the newest readable checkpoint of dir into m and
// returns it, or nil if dir holds none. A newest file that cannot be read
// (it should not happen: writes are atomic) is skipped for the one before,
// and the problem is reported if none can be read.
func (m *Model) restoreLatest(dir string) (*ckptFile, error) {
	list, err := listCheckpoints(dir)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, e := range list {
		ck, err := readCheckpoint(e.path)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if err := m.restoreFile(ck); err != nil {
			return nil, err
		}
		return ck, nil
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("no readable checkpoint in %s: %s", dir, strings.Join(problems, "; "))
	}
	return nil, nil
}

// restoreFile restores the checkpoint ck, read from its file, into m:
// variables, epochs done, history and seed.
func (m *Model) restoreFile(ck *ckptFile) error {
	if err := m.checkSignature(ck); err != nil {
		return err
	}
	h, err := ck.header.History.history()
	if err != nil {
		return fmt.Errorf("%s: %w", ck.path, err)
	}
	if err := m.restoreWeights(ck.vars); err != nil {
		return fmt.Errorf("restoring %s: %w", ck.path, err)
	}
	m.epochs, m.history, m.seed = ck.header.Epoch, h, ck.header.Seed
	return nil
}

// checkSignature checks that ck was saved by a model with m's layers.
func (m *Model) checkSignature(ck *ckptFile) error {
	if ck.header.Signature != m.signature() {
		return fmt.Errorf("%s holds model %q with different layers than model %q:\n  saved: %s\n  model: %s",
			ck.path, ck.header.Model, m.name, ck.header.Signature, m.signature())
	}
	return nil
}
