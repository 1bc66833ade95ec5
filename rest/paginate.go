package rest

import (
	"math"
	"net/http"
	"strconv"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/rest/internal/pyform"
)

// Page-number pagination as the upstream service does it: DRF's
// PageNumberPagination read through Django's Paginator, with the links in
// a Link header and the count in X-Result-Count instead of an envelope.

const (
	pageParam       = "page"
	pageSizeParam   = "page_size"
	defaultPageSize = 10
)

type pageRequest struct {
	size   int
	number int64 // when valid
	last   bool  // page=last
	valid  bool  // number is a page number Python's int() reads
}

func readPage(q pyform.Query) pageRequest {
	req := pageRequest{size: defaultPageSize, number: 1, valid: true}
	// A size that is not a positive integer means the default; a larger
	// one than allowed means the largest.
	if v, ok := q.Get(pageSizeParam); ok {
		if n, ok := pyform.Int(v); ok && n > 0 {
			req.size = int(min(n, core.MaxPageSize))
		}
	}
	// "page=" is page 1 (request.query_params.get("page") or 1).
	if v, _ := q.Get(pageParam); v == "last" {
		req.last = true
	} else if v != "" {
		req.number, req.valid = pyform.Int(v)
	}
	return req
}

func pageCount(total int64, size int) int64 {
	// An empty list still has its first page.
	return max(1, (total+int64(size)-1)/int64(size))
}

// servePage answers a list request: the page the query asks for, with its
// headers, as a bare array of one's representations.
func servePage[T any](h *handler, x *exchange, count func() (int64, error), list func(offset, limit int) ([]T, int64, error), one func([]byte, string, T) []byte) {
	req := readPage(x.query)
	items, total, page, err := fetchPage(req, count, list)
	if err != nil {
		h.fail(x, err)
		return
	}
	h.setPageHeaders(x, total, page, req.size)
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = appendList(buf.b, h.base(x), items, one)
	h.send(x, http.StatusOK, buf.b)
}

// fetchPage returns the requested page of a list, its total and its
// number. list reads a window and the total; count reads the total alone,
// for page=last and for page numbers no list could have, which still need
// the core's authentication before "Invalid page.".
func fetchPage[T any](req pageRequest, count func() (int64, error), list func(offset, limit int) ([]T, int64, error)) ([]T, int64, int64, error) {
	page := req.number
	if req.last || !req.valid || page < 1 || page > math.MaxInt32 {
		total, err := count()
		if err != nil {
			return nil, 0, 0, err
		}
		if !req.last {
			return nil, total, 0, errInvalidPage
		}
		page = pageCount(total, req.size)
	}
	items, total, err := list(int(page-1)*req.size, req.size)
	if err != nil {
		return nil, 0, 0, err
	}
	if page > pageCount(total, req.size) {
		return nil, total, 0, errInvalidPage
	}
	return items, total, page, nil
}

// setPageHeaders writes X-Result-Count and the Link header: first and last
// always, prev and next when they exist, each the request URL with page
// replaced, or removed for page 1 (last too, on a single page, as upstream's
// LinkHeaderPagination writes it), and the query sorted.
func (h *handler) setPageHeaders(x *exchange, total, page int64, size int) {
	pages := pageCount(total, size)
	self := h.base(x) + x.r.URL.EscapedPath()
	b := make([]byte, 0, 4*(len(self)+len(x.r.URL.RawQuery)+24))
	link := func(n int64, rel string) {
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '<')
		b = append(b, self...)
		var q string
		if n == 1 {
			q = x.query.RemoveParam(pageParam)
		} else {
			q = x.query.ReplaceParam(pageParam, strconv.FormatInt(n, 10))
		}
		if q != "" {
			b = append(b, '?')
			b = append(b, q...)
		}
		b = append(b, `>; rel="`...)
		b = append(b, rel...)
		b = append(b, '"')
	}
	link(1, "first")
	if page > 1 {
		link(page-1, "prev")
	}
	if page < pages {
		link(page+1, "next")
	}
	link(pages, "last")
	hdr := x.w.Header()
	hdr["Link"] = []string{string(b)}
	hdr["X-Result-Count"] = []string{strconv.FormatInt(total, 10)}
}
