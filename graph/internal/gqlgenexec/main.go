// Command gqlgenexec generates the GraphQL executor: gqlgen's, with lists
// marshalled in place where nothing under their elements can block.
//
// It runs gqlgen as a library (api.Generate, with ../../../gqlgen.yml) and
// a plugin that reads, from gqlgen's own model of the bindings, which
// fields of which types may block (policy.go); it writes that as a table
// beside the executor (generated_inplace.go), and then makes the executor
// consult it: each graphql.MarshalSliceConcurrently of the generated file
// becomes inplace.MarshalSlice, which runs the elements one after the other
// when the query selects nothing under them that may block, and
// concurrently, as before, otherwise (rewrite.go). gqlgen has no hook for
// that: its list marshalling is one template, which this command does not
// replace but edits the output of, with go/ast, in the one place, checked
// shape by shape against the gqlgen version it was written for.
//
// `go generate ./graph/` runs it (graph/generate.go); CI checks that it
// leaves the tree unchanged.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

// gqlgenVersion is the gqlgen whose generated code the rewrite was checked
// against: another version's template may differ in ways the shape checks
// do not see, so the command refuses it until someone has compared the
// list and object templates (codegen/type.gotpl, codegen/object.gotpl) and
// graphql.MarshalSliceConcurrently with what inplace.MarshalSlice does,
// and moved the pin.
const gqlgenVersion = "v0.17.98"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenexec:", err)
		os.Exit(1)
	}
}

func run() error {
	if v := gqlgenModuleVersion(); v != gqlgenVersion {
		return fmt.Errorf("built with gqlgen %s, but the rewrite was checked against %s only (see gqlgenVersion)", v, gqlgenVersion)
	}
	// Walks up to gqlgen.yml and works from its directory, as gqlgen does.
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	if cfg.Exec.Layout != config.ExecLayoutSingleFile {
		return fmt.Errorf("exec.layout %q: only %q is supported", cfg.Exec.Layout, config.ExecLayoutSingleFile)
	}
	// gqlgen would compile the executor before it is rewritten; it is
	// compiled below, once rewritten.
	cfg.SkipValidation = true
	p := &policyPlugin{}
	if err := api.Generate(cfg, api.AddPlugin(p)); err != nil {
		return err
	}
	if p.policy == nil {
		return fmt.Errorf("gqlgen did not run the %s plugin", p.Name())
	}
	policyFile := strings.TrimSuffix(cfg.Exec.Filename, ".go") + "_inplace.go"
	src, err := renderPolicy(cfg.Exec.Package, p.policy)
	if err != nil {
		return err
	}
	if err := writeIfChanged(policyFile, src); err != nil {
		return err
	}
	generated, err := os.ReadFile(cfg.Exec.Filename)
	if err != nil {
		return err
	}
	rewritten, err := rewrite(generated)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.Exec.Filename, err)
	}
	if err := writeIfChanged(cfg.Exec.Filename, rewritten); err != nil {
		return err
	}
	return build(cfg.Exec.Dir())
}

// gqlgenModuleVersion is the version of gqlgen this command was built with.
func gqlgenModuleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, m := range info.Deps {
		if m.Path == "github.com/99designs/gqlgen" {
			if m.Replace != nil {
				return m.Replace.Version
			}
			return m.Version
		}
	}
	return "unknown"
}

// writeIfChanged keeps an unchanged file's modification time, so that the
// build cache keeps what it compiled from it.
func writeIfChanged(name string, src []byte) error {
	if old, err := os.ReadFile(name); err == nil && string(old) == string(src) {
		return nil
	}
	return os.WriteFile(name, src, 0o644)
}

// build compiles the executor's package, as gqlgen's own validation would
// have before the rewrite.
func build(dir string) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "./"+filepath.ToSlash(rel))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the generated executor does not compile: %w", err)
	}
	return nil
}
