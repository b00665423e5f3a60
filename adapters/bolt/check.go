package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// A damaged file is refused when it is opened, before bbolt maps it where that can be told
// from the file's size, and by bbolt's own consistency check (Tx.Check) otherwise. A page
// damaged while the file is open makes bbolt panic when a transaction reaches it; the store
// turns that panic into an error for the caller (the transaction is rolled back, so nothing
// changed), and from then on reports itself failed (Ping).

// ErrDamaged means the database file is damaged: errors.Is(err, ErrDamaged) holds for a file
// refused when opened (a *DamagedError) and for a transaction that reached a damaged page.
var ErrDamaged = errors.New("the database file is damaged")

// DamagedError is a file the consistency check refused, with what it found.
type DamagedError struct {
	Path string
	// Problems is what the check found, in the order found, at most maxProblems of them.
	Problems []string
	// More is how many further problems were found and not kept.
	More int
}

func (e *DamagedError) Error() string {
	msg := fmt.Sprintf("%s is damaged: %s", e.Path, strings.Join(e.Problems, "; "))
	if e.More > 0 {
		msg += fmt.Sprintf("; and %d more", e.More)
	}
	return msg
}

// Is makes errors.Is(err, ErrDamaged) hold.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// maxProblems bounds the problems a DamagedError keeps: one damaged page can make the check
// report every page below it.
const maxProblems = 5

// Report is what Check found in a file that passed it.
type Report struct {
	Size     int64         // bytes
	PageSize int           // bytes
	Pages    int           // pages in use, the meta pages included (bbolt's high water mark)
	Took     time.Duration // how long the consistency check took
}

// Check runs the consistency check on the bbolt file at path without changing it: the meta
// pages and the file's size are read first, then bbolt's Tx.Check walks every page. A file
// another process holds (a running studybot) gives ErrLocked after lockTimeout; a damaged
// file gives a *DamagedError.
func Check(path string, lockTimeout time.Duration) (Report, error) {
	if _, err := os.Stat(path); err != nil {
		return Report{}, fmt.Errorf("check %s: %w", path, err)
	}
	m, size, err := readMeta(path)
	if err != nil {
		return Report{}, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return Report{}, fmt.Errorf("check %s: %w", path, ErrLocked)
	}
	if err != nil {
		return Report{}, fmt.Errorf("check %s: %w", path, err)
	}
	defer db.Close()
	took, err := checkPages(db, path)
	if err != nil {
		return Report{}, err
	}
	return Report{Size: size, PageSize: int(m.pageSize), Pages: int(m.pgid), Took: took}, nil
}

// checkPages runs bbolt's consistency check over every page of db. It must run while no
// write transaction does: a read-only transaction makes it cheap, and a writer beside it
// could move pages under it.
func checkPages(db *bbolt.DB, path string) (time.Duration, error) {
	began := time.Now()
	damaged := &DamagedError{Path: path}
	err := db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			problem := err.Error()
			if reason, ok := strings.CutPrefix(problem, "panic: "); ok {
				// bbolt's own assertions on a page read stop its check where they fire.
				problem = "a page is damaged, the check stopped there (" + reason + ")"
			}
			if len(damaged.Problems) < maxProblems {
				damaged.Problems = append(damaged.Problems, problem)
			} else {
				damaged.More++
			}
		}
		return nil
	})
	took := time.Since(began)
	if err != nil {
		return took, fmt.Errorf("check %s: %w", path, err)
	}
	if len(damaged.Problems) > 0 {
		return took, damaged
	}
	return took, nil
}

// The layout of a bbolt meta page (go.etcd.io/bbolt/internal/common, version 2): a 16-byte
// page header (id, flags, count, overflow), then magic, version, page size and flags (4
// bytes each), the root bucket (root page and sequence, 8 each), the freelist page, the high
// water mark (pages in use), the transaction ID and an FNV-64a checksum of everything from
// magic to the transaction ID. Fields are in the machine's byte order.
const (
	metaMagic       = 0xED0CDAED
	metaVersion     = 2
	metaOffset      = 16
	metaChecksumAt  = metaOffset + 56
	metaEnd         = metaChecksumAt + 8
	minPageSize     = 1024
	maxProbePageLog = 14 // bbolt looks for the second meta page at 1 KiB << 0..14
)

// meta is the part of a meta page the size check needs.
type meta struct {
	pageSize uint32
	pgid     uint64 // the high water mark: pages 0..pgid-1 are in the file
	txid     uint64
}

// parseMeta reads the meta page at the start of buf, or says why it is not a valid one.
func parseMeta(buf []byte) (meta, error) {
	if len(buf) < metaEnd {
		return meta{}, errors.New("too short")
	}
	le := binary.NativeEndian
	if le.Uint32(buf[metaOffset:]) != metaMagic {
		return meta{}, errors.New("no bbolt magic number")
	}
	if v := le.Uint32(buf[metaOffset+4:]); v != metaVersion {
		return meta{}, fmt.Errorf("format version %d, not %d", v, metaVersion)
	}
	h := fnv.New64a()
	h.Write(buf[metaOffset:metaChecksumAt])
	if h.Sum64() != le.Uint64(buf[metaChecksumAt:]) {
		return meta{}, errors.New("checksum mismatch")
	}
	m := meta{pageSize: le.Uint32(buf[metaOffset+8:]), pgid: le.Uint64(buf[metaOffset+40:]), txid: le.Uint64(buf[metaOffset+48:])}
	if m.pageSize < minPageSize || m.pageSize&(m.pageSize-1) != 0 {
		return meta{}, fmt.Errorf("page size %d", m.pageSize)
	}
	if m.pgid < 2 {
		return meta{}, fmt.Errorf("high water mark %d", m.pgid)
	}
	return m, nil
}

// readMeta validates the file's meta pages as bbolt does when it opens the file (the valid
// one with the higher transaction ID is the current one) and checks the file holds every
// page that meta says is in use. bbolt maps the file without such a check, and a read of a
// page past the end of a file cut short kills the process with SIGBUS. An empty file (or
// none) is one bbolt will create: it passes.
func readMeta(path string) (meta, int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return meta{}, 0, nil
	}
	if err != nil {
		return meta{}, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return meta{}, 0, fmt.Errorf("open %s: %w", path, err)
	}
	size := st.Size()
	if size == 0 || !st.Mode().IsRegular() {
		return meta{}, size, nil // bbolt initialises an empty file, and refuses what is not a file
	}
	read := func(off int64) (meta, error) {
		buf := make([]byte, metaEnd)
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return meta{}, err
		}
		return parseMeta(buf)
	}
	m0, err0 := read(0)
	var m1 meta
	err1 := errors.New("not found")
	if err0 == nil {
		m1, err1 = read(int64(m0.pageSize))
	} else {
		// Without the first meta page the page size is unknown: look where bbolt looks.
		for i := 0; i <= maxProbePageLog && int64(minPageSize)<<i < size; i++ {
			if m, err := read(int64(minPageSize) << i); err == nil {
				m1, err1 = m, nil
				break
			}
		}
	}
	var m meta
	switch {
	case err0 != nil && err1 != nil:
		return meta{}, size, &DamagedError{Path: path, Problems: []string{fmt.Sprintf(
			"neither meta page is valid (first: %v; second: %v): it is not a bbolt database, or its header is damaged", err0, err1)}}
	case err0 != nil:
		m = m1
	case err1 != nil || m0.txid >= m1.txid:
		m = m0
	default:
		m = m1
	}
	if need := int64(m.pgid) * int64(m.pageSize); size < need {
		return meta{}, size, &DamagedError{Path: path, Problems: []string{fmt.Sprintf(
			"the file is %d bytes but its meta page says %d pages of %d bytes (%d bytes): it was cut short",
			size, m.pgid, m.pageSize, need)}}
	}
	return m, size, nil
}

// guard turns a panic of bbolt inside a transaction (an assertion on a damaged page, or a
// fault reading the mapped file) into an error wrapping ErrDamaged, and marks the store
// failed. bbolt rolls the transaction back as the panic passes, so nothing was written and
// the store stays usable for transactions that do not reach the damaged page. A panic in a
// caller's callback (see outside) is the caller's and passes on unchanged.
func (s *DB) guard(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if p, ok := r.(callerPanic); ok {
		panic(p.value)
	}
	damage := fmt.Errorf("%w: %v", ErrDamaged, r)
	attrs := []any{"db", s.path, "panic", fmt.Sprint(r)}
	if s.failure.CompareAndSwap(nil, &damage) {
		// The first time with the stack; every learner on that page hits it again.
		attrs = append(attrs, "stack", string(debug.Stack()))
	}
	s.log.Error("the database file is damaged: a transaction reached a damaged page and was rolled back; restore the file from a backup", attrs...)
	if s.onPanic != nil {
		s.onPanic()
	}
	*err = damage
}

// callerPanic carries a panic raised by a caller's callback through guard.
type callerPanic struct{ value any }

// outside runs a caller's callback inside a transaction, marking a panic in it as the
// caller's own rather than the file's.
func outside(fn func() error) error {
	defer func() {
		if r := recover(); r != nil {
			panic(callerPanic{r})
		}
	}()
	return fn()
}

// view, update and batch are bbolt's View, Update and Batch under guard. A fault reading the
// mapped file (a page past its end, say) becomes a panic guard can recover rather than a
// crash of the process.
func (s *DB) view(fn func(*bbolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer s.guard(&err)
	return s.db.View(fn)
}

func (s *DB) update(fn func(*bbolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer s.guard(&err)
	return s.db.Update(fn)
}

func (s *DB) batch(fn func(*bbolt.Tx) error) (err error) {
	// A panic inside a batch is recovered by bbolt, which then runs the call again on its
	// own, in this goroutine, where guard sees it.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer s.guard(&err)
	return s.db.Batch(fn)
}

// Failed is the damage a transaction ran into since the file was opened, or nil.
func (s *DB) Failed() error {
	if p := s.failure.Load(); p != nil {
		return *p
	}
	return nil
}
