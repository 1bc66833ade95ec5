package graph

// gqlgen finds ../gqlgen.yml by walking up and works from the repository root.
//go:generate go run github.com/99designs/gqlgen generate
