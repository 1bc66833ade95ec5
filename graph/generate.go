package graph

// gqlgen as a library, with lists marshalled in place where nothing under
// them blocks (see internal/gqlgenexec). It finds ../gqlgen.yml by walking
// up and works from the repository root.
//go:generate go run ./internal/gqlgenexec
