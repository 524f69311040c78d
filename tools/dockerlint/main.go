// Command dockerlint checks this project's Dockerfile without a Docker engine:
//
//   - it parses it with BuildKit's own Dockerfile parser, and runs BuildKit's
//     lint rules (what `docker build --check` reports) for every value of the
//     variant build argument (VARIANT=cpu and VARIANT=cuda), all stages;
//   - every RUN must be a call of scripts/install.sh and nothing else (no
//     `&&`, pipes, heredocs), whose flags, with the build arguments expanded
//     for each variant, the script itself accepts (install.sh --check-args);
//   - every COPY/ADD source from the build context must exist in the
//     repository and not be excluded by .dockerignore, and .dockerignore must
//     exclude .git, out and data (data is mounted, never baked in);
//   - every base image must be pinned (a tag other than latest, or a digest).
//
// Base images are not pulled: their configuration is stubbed (Linux, the
// default PATH), so rules that need a real image (e.g. a variable that only
// the base image defines) may differ from a real build.
//
// Usage: dockerlint [-C repo] [-variant-arg VARIANT] [-variants cpu,cuda] [-v] [Dockerfile]
//
// It prints "FILE:LINE: message" per problem and exits 1 when there is any,
// 2 on usage errors.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
)

// script is the one install script every RUN must call.
const script = "scripts/install.sh"

// mustIgnore are paths .dockerignore must exclude from the build context.
var mustIgnore = []string{".git", "out", "data"}

// defaultPath is the PATH the stubbed base images define.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type problem struct {
	line     int
	msg      string
	variants []string
}

type report struct {
	file     string
	problems map[string]*problem // by line+message, to merge variants
}

func (r *report) add(line int, variant, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := fmt.Sprintf("%08d %s", line, msg)
	p, ok := r.problems[key]
	if !ok {
		p = &problem{line: line, msg: msg}
		r.problems[key] = p
	}
	if variant != "" && !contains(p.variants, variant) {
		p.variants = append(p.variants, variant)
	}
}

func (r *report) print(w io.Writer, allVariants int) int {
	keys := make([]string, 0, len(r.problems))
	for k := range r.problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := r.problems[k]
		where := ""
		if len(p.variants) > 0 && len(p.variants) < allVariants {
			where = " [" + strings.Join(p.variants, ",") + "]"
		}
		if p.line > 0 {
			fmt.Fprintf(w, "%s:%d:%s %s\n", r.file, p.line, where, p.msg)
		} else {
			fmt.Fprintf(w, "%s:%s %s\n", r.file, where, p.msg)
		}
	}
	return len(keys)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dockerlint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("C", ".", "repository root (build context; holds "+script+" and .dockerignore)")
	variantArg := fs.String("variant-arg", "VARIANT", "build argument that selects the variant")
	variantList := fs.String("variants", "cpu,cuda", "comma-separated values of the variant build argument to check")
	verbose := fs.Bool("v", false, "print every RUN as expanded for each variant")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: dockerlint [flags] [Dockerfile]\n\nDockerfile defaults to <repo>/Dockerfile.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	rootDir, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintln(stderr, "dockerlint:", err)
		return 2
	}
	file := filepath.Join(rootDir, "Dockerfile")
	if fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	variants := strings.Split(*variantList, ",")
	dt, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "dockerlint:", err)
		return 2
	}
	if _, err := os.Stat(filepath.Join(rootDir, script)); err != nil {
		fmt.Fprintf(stderr, "dockerlint: %v (is -C the repository root?)\n", err)
		return 2
	}

	rep := &report{file: displayName(file), problems: map[string]*problem{}}
	l := &linter{root: rootDir, file: file, rep: rep, verbose: *verbose, out: stdout}
	stats := l.check(dt, *variantArg, variants)
	if n := rep.print(stdout, len(variants)); n > 0 {
		fmt.Fprintf(stderr, "dockerlint: %s: %d problem(s)\n", rep.file, n)
		return 1
	}
	fmt.Fprintf(stdout, "dockerlint: %s OK for %s=%s: BuildKit's checks pass; %d RUN step(s), each a call of %s with flags it accepts; %d COPY source(s) present and not ignored; base images pinned\n",
		rep.file, *variantArg, strings.Join(variants, ","), stats.runs, script, stats.copies)
	return 0
}

func displayName(file string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return file
}

type linter struct {
	root, file string
	rep        *report
	verbose    bool
	out        io.Writer
	ignore     *patternmatcher.PatternMatcher
}

type stats struct{ runs, copies int }

func (l *linter) check(dt []byte, variantArg string, variants []string) stats {
	var st stats
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		l.rep.add(errLine(err), "", "parse error: %v", err)
		return st
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		l.rep.add(errLine(err), "", "parse error: %v", err)
		return st
	}
	l.loadDockerignore()

	for _, v := range variants {
		buildArgs := map[string]string{variantArg: v}
		l.buildkitLint(dt, v, buildArgs)
		s := l.walk(stages, metaArgs, res.EscapeToken, v, buildArgs)
		st.runs = max(st.runs, s.runs)
		st.copies = max(st.copies, s.copies)
	}
	if st.runs == 0 {
		l.rep.add(0, "", "no RUN step calls %s", script)
	}
	return st
}

// errLine returns the first line a BuildKit error points at, or 0.
func errLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) {
		for _, loc := range le.Locations {
			for _, r := range loc {
				return r.Start.Line
			}
		}
	}
	return 0
}

// buildkitLint runs BuildKit's lint (docker build --check) for one set of
// build arguments, over all stages.
func (l *linter) buildkitLint(dt []byte, variant string, buildArgs map[string]string) {
	src := llb.Scratch()
	smap := llb.NewSourceMap(&src, filepath.Base(l.file), "Dockerfile", dt)
	smap.Definition = &llb.Definition{}
	opt := dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{BuildArgs: buildArgs},
		SourceMap:    smap,
		MetaResolver: stubResolver{},
		AllStages:    true,
	}
	results, err := dockerfile2llb.DockerfileLint(context.Background(), dt, opt)
	if err != nil {
		l.rep.add(0, variant, "BuildKit lint failed: %v", err)
		return
	}
	for _, w := range results.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		l.rep.add(line, variant, "%s: %s (%s)", w.RuleName, w.Detail, w.URL)
	}
	if e := results.Error; e != nil {
		line := 0
		if len(e.Location.Ranges) > 0 {
			line = int(e.Location.Ranges[0].Start.Line)
		}
		l.rep.add(line, variant, "BuildKit: %s", e.Message)
	}
}

// stubResolver answers base image lookups without a registry: a Linux image
// for the requested platform whose only variable is PATH.
type stubResolver struct{}

func (stubResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	osName, arch := "linux", runtime.GOARCH
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		osName, arch = opt.ImageOpt.Platform.OS, opt.ImageOpt.Platform.Architecture
	}
	cfg, err := json.Marshal(map[string]any{
		"os":           osName,
		"architecture": arch,
		"config":       map[string]any{"Env": []string{"PATH=" + defaultPath}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{}},
	})
	return ref, digest.FromBytes([]byte(ref)), cfg, err
}

// env is the variables visible to an instruction: build arguments and ENV.
type env map[string]string

func (e env) Get(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e env) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
func (e env) clone() env {
	c := make(env, len(e))
	for k, v := range e {
		c[k] = v
	}
	return c
}

// walk follows the stages the way the builder does for one variant (build
// arguments, ARG and ENV values) and checks FROM, RUN and COPY/ADD.
func (l *linter) walk(stages []instructions.Stage, metaArgs []instructions.ArgCommand, escape rune, variant string, buildArgs map[string]string) stats {
	var st stats
	lex := shell.NewLex(escape)
	global := env{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			val := ""
			if kv.Value != nil {
				val, _, _ = lex.ProcessWord(*kv.Value, global)
			}
			if b, ok := buildArgs[kv.Key]; ok {
				val = b
			}
			global[kv.Key] = val
		}
	}
	stageEnv := map[string]env{}
	for i, s := range stages {
		line := firstLine(s.Location)
		base, _, err := lex.ProcessWord(s.BaseName, global)
		if err != nil {
			l.rep.add(line, variant, "FROM %s: %v", s.BaseName, err)
			continue
		}
		vars := env{"PATH": defaultPath}
		if parent, ok := stageEnv[strings.ToLower(base)]; ok {
			vars = parent.clone()
		} else {
			l.checkPinned(line, variant, base)
		}
		for _, cmd := range s.Commands {
			cline := firstLine(cmd.Location())
			switch c := cmd.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					val, inGlobal := global[kv.Key]
					if kv.Value != nil {
						val, _, _ = lex.ProcessWord(*kv.Value, vars)
					} else if !inGlobal {
						val = ""
					}
					if b, ok := buildArgs[kv.Key]; ok {
						val = b
					}
					vars[kv.Key] = val
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					val, _, err := lex.ProcessWord(kv.Value, vars)
					if err != nil {
						l.rep.add(cline, variant, "ENV %s: %v", kv.Key, err)
					}
					vars[kv.Key] = val
				}
			case *instructions.RunCommand:
				st.runs++
				l.checkRun(cline, variant, c, lex, vars)
			case *instructions.CopyCommand:
				if c.From != "" {
					continue // from another stage or image
				}
				st.copies += l.checkSources(cline, variant, "COPY", c.SourcePaths, lex, vars)
			case *instructions.AddCommand:
				st.copies += l.checkSources(cline, variant, "ADD", c.SourcePaths, lex, vars)
			}
		}
		name := s.Name
		if name == "" {
			name = fmt.Sprint(i)
		}
		stageEnv[strings.ToLower(name)] = vars
	}
	return st
}

func firstLine(loc []parser.Range) int {
	if len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// checkPinned reports a base image without a tag, tagged latest, or unparsable.
func (l *linter) checkPinned(line int, variant, base string) {
	if base == "scratch" {
		return
	}
	ref, err := reference.ParseNormalizedNamed(base)
	if err != nil {
		l.rep.add(line, variant, "FROM %s: not an image reference: %v", base, err)
		return
	}
	if _, ok := ref.(reference.Digested); ok {
		return
	}
	if t, ok := ref.(reference.Tagged); !ok || t.Tag() == "latest" {
		l.rep.add(line, variant, "FROM %s: base image is not pinned (give a version tag or a digest)", base)
	}
}

// shellMeta are what would make a shell-form RUN more than one command.
var shellMeta = []string{"&", "|", ";", "`", "$(", "<", ">", "\n"}

func (l *linter) checkRun(line int, variant string, c *instructions.RunCommand, lex *shell.Lex, vars env) {
	if len(c.Files) > 0 {
		l.rep.add(line, variant, "RUN with a heredoc: every RUN must be a single call of %s", script)
		return
	}
	var words []string
	if c.PrependShell {
		cmdline := strings.Join(c.CmdLine, " ")
		for _, m := range shellMeta {
			if strings.Contains(cmdline, m) {
				l.rep.add(line, variant, "RUN %q: %q makes it more than one call of %s (put the step into the script, behind a flag)", cmdline, m, script)
				return
			}
		}
		var err error
		words, err = lex.ProcessWords(cmdline, vars)
		if err != nil {
			l.rep.add(line, variant, "RUN %q: %v", cmdline, err)
			return
		}
	} else {
		words = c.CmdLine // exec form: no variable expansion
	}
	// Leading NAME=value words set the script's environment.
	for len(words) > 0 && isAssignment(words[0]) {
		words = words[1:]
	}
	if len(words) == 0 || !isScript(words[0]) {
		l.rep.add(line, variant, "RUN %q does not call %s: every RUN must be a call of the script CI runs", strings.Join(c.CmdLine, " "), script)
		return
	}
	if l.verbose {
		fmt.Fprintf(l.out, "%s:%d: [%s] RUN %s\n", l.rep.file, line, variant, strings.Join(words, " "))
	}
	cmd := exec.Command("bash", append([]string{filepath.Join(l.root, script), "--check-args"}, words[1:]...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:] // the script's own one-line reason
		}
		l.rep.add(line, variant, "RUN %s: %s rejects these flags: %s", strings.Join(words, " "), script, msg)
	}
}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func isScript(w string) bool {
	w = path.Clean(w)
	return w == script || strings.HasSuffix(w, "/"+script)
}

// checkSources checks COPY/ADD sources from the build context and returns how many it checked.
func (l *linter) checkSources(line int, variant, instr string, srcs []string, lex *shell.Lex, vars env) int {
	n := 0
	for _, src := range srcs {
		s, _, err := lex.ProcessWord(src, vars)
		if err != nil {
			l.rep.add(line, variant, "%s %s: %v", instr, src, err)
			continue
		}
		if strings.Contains(s, "://") || strings.HasPrefix(s, "git@") {
			l.rep.add(line, variant, "%s %s: a remote source is fetched at build time outside %s", instr, s, script)
			continue
		}
		n++
		rel := path.Clean(strings.TrimPrefix(filepath.ToSlash(s), "/"))
		matches, err := filepath.Glob(filepath.Join(l.root, filepath.FromSlash(rel)))
		if err != nil || len(matches) == 0 {
			l.rep.add(line, variant, "%s source %q does not exist in %s", instr, s, l.root)
			continue
		}
		if rel == "." || l.ignore == nil {
			continue
		}
		if ignored, _ := l.ignore.MatchesOrParentMatches(rel); ignored {
			l.rep.add(line, variant, "%s source %q is excluded by .dockerignore", instr, s)
		}
	}
	return n
}

func (l *linter) loadDockerignore() {
	f, err := os.Open(filepath.Join(l.root, ".dockerignore"))
	if err != nil {
		l.rep.add(0, "", ".dockerignore: %v (it must exclude %s)", err, strings.Join(mustIgnore, ", "))
		return
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err == nil {
		l.ignore, err = patternmatcher.New(patterns)
	}
	if err != nil {
		l.rep.add(0, "", ".dockerignore: %v", err)
		l.ignore = nil
		return
	}
	for _, p := range mustIgnore {
		if ok, _ := l.ignore.MatchesOrParentMatches(p); !ok {
			l.rep.add(0, "", ".dockerignore does not exclude %s (data is mounted, never baked in; outputs and history stay out of the image)", p)
		}
	}
}
