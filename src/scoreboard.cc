/*
 * The scoreboard: one mapping of anonymous shared memory, made by the first
 * process before it forks anything, so every worker of every generation
 * sees the same one. A header, then one slot per worker process, each with
 * a bounded table of request rows (docs/status.md has the layout).
 *
 * Writers: each slot has one, the worker holding it, which updates its
 * figures with relaxed atomic loads and stores (plain moves on x86-64 and
 * ARM64: no lock prefix, no fence). Readers copy with relaxed loads and
 * accept a figure that is a moment old; a row's text may be torn when the
 * row is reused while it is copied. That is the price of no lock and no
 * system call in the request path.
 */
#include "scoreboard.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <apr_allocator.h>

#include "core_config.h"
#include "log.h"

namespace x0 {
namespace {

using counter = std::atomic<apr_uint64_t>;

constexpr unsigned scoreboard_magic = 0x78305342;  // "x0SB"
/** Memory figures are sampled this often (a timer per worker). */
constexpr ev_tstamp sample_seconds = 1.0;
constexpr int max_slots = 1024;

struct sb_row {
    std::atomic<apr_time_t> started;  /**< 0: the row is free */
    std::atomic<int> conn_state;
    counter bytes_sent;
    counter pool_bytes;
    char client[X0_SB_CLIENT_LEN];
    char vhost[X0_SB_VHOST_LEN];
    char request[X0_SB_REQUEST_LEN];
};

struct sb_slot {
    counter requests;
    counter bytes_sent;
    counter connections;
    counter request_pool_bytes;
    counter conn_pool_releases;
    counter conn_pool_bytes;
    std::atomic<int> pid;
    std::atomic<int> generation;
    std::atomic<apr_time_t> started;
    std::atomic<int> conns[X0_SB_CONN_STATES];
    std::atomic<int> requests_active;
    counter heap_bytes;
    counter heap_bytes_max;
    counter worker_pool_bytes;
    counter conn_pool_bytes_max;
    counter request_pool_bytes_max;
    std::atomic<apr_time_t> sampled;
    sb_row rows[scoreboard_rows];
};

struct sb_header {
    unsigned magic;
    int slots;
    std::atomic<int> generation;
    apr_time_t started;
};

static_assert(std::atomic<apr_uint64_t>::is_always_lock_free,
              "shared-memory counters must be lock-free");

sb_header* board;
sb_slot* slots;
size_t mapped_bytes;
/** Where a process without a slot (no scoreboard, or all taken) writes. */
sb_slot private_slot;
sb_slot* mine = &private_slot;

/** The worker's own index of its rows: which request and connection hold each. */
const void* row_request[scoreboard_rows];
const void* row_conn[scoreboard_rows];
int rows_used;
ev_timer sample_timer;

void forget_rows()
{
    rows_used = 0;
    std::fill(std::begin(row_request), std::end(row_request), nullptr);
    std::fill(std::begin(row_conn), std::end(row_conn), nullptr);
}

template <typename T>
void add(std::atomic<T>& a, T delta)
{
    a.store(a.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

void raise_to(counter& a, apr_uint64_t v)
{
    if (v > a.load(std::memory_order_relaxed))
        a.store(v, std::memory_order_relaxed);
}

template <typename T>
T get(const std::atomic<T>& a)
{
    return a.load(std::memory_order_relaxed);
}

int state_index(conn_phase p)
{
    switch (p) {
    case conn_phase::idle: return X0_SB_CONN_IDLE;
    case conn_phase::reading: return X0_SB_CONN_BUSY;
    case conn_phase::handling: return X0_SB_CONN_HANDLER;
    case conn_phase::lingering: return X0_SB_CONN_CLOSING;
    default: return -1;
    }
}

void copy_text(char* to, size_t size, const char* from)
{
    size_t n = from ? strnlen(from, size - 1) : 0;
    if (n)
        memcpy(to, from, n);
    to[n] = '\0';
}

/** Heap bytes in use: what malloc has handed out, APR's blocks included. */
apr_uint64_t heap_in_use()
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#else
    return 0;
#endif
}

apr_pool_t* worker_pool;

void sample(sb_slot* s)
{
    apr_uint64_t heap = heap_in_use();
    s->heap_bytes.store(heap, std::memory_order_relaxed);
    raise_to(s->heap_bytes_max, heap);
    s->worker_pool_bytes.store(worker_pool ? pool_block_bytes(worker_pool) : 0,
                               std::memory_order_relaxed);
    s->sampled.store(apr_time_now(), std::memory_order_relaxed);
}

void sample_callback(struct ev_loop*, ev_timer*, int)
{
    sample(mine);
}

/** A worker's slot goes back: nothing of its occupant stays but the totals. */
apr_status_t detach(void*)
{
    sb_slot* s = mine;
    for (auto& c : s->conns)
        c.store(0, std::memory_order_relaxed);
    s->requests_active.store(0, std::memory_order_relaxed);
    for (auto& row : s->rows)
        row.started.store(0, std::memory_order_relaxed);
    forget_rows();
    if (s != &private_slot)
        s->pid.store(0, std::memory_order_release);
    mine = &private_slot;
    worker_pool = nullptr;
    return APR_SUCCESS;
}

bool pid_gone(int pid)
{
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

/** A free slot, or one whose worker died without giving it back (SIGKILL). */
sb_slot* claim_slot()
{
    int me = static_cast<int>(getpid());
    for (int pass = 0; pass < 2; ++pass)
        for (int i = 0; i < (board ? board->slots : 0); ++i) {
            int holder = get(slots[i].pid);
            if ((pass == 0 && holder == 0) || (pass == 1 && pid_gone(holder))) {
                if (slots[i].pid.compare_exchange_strong(holder, me))
                    return &slots[i];
            }
        }
    return nullptr;
}

/** The request's pool goes: free its row and count it. */
apr_status_t request_done(void* data)
{
    auto* r = static_cast<x0_request_t*>(data);
    sb_slot* s = mine;
    for (int i = 0; i < scoreboard_rows && rows_used > 0; ++i)
        if (row_request[i] == r) {
            s->rows[i].started.store(0, std::memory_order_relaxed);
            row_request[i] = nullptr;
            row_conn[i] = nullptr;
            --rows_used;
            break;
        }
    apr_uint64_t pool_bytes = pool_block_bytes(r->pool);
    add<apr_uint64_t>(s->requests, 1);
    add<apr_uint64_t>(s->bytes_sent, r->bytes_sent > 0 ? r->bytes_sent : 0);
    add<apr_uint64_t>(s->request_pool_bytes, pool_bytes);
    raise_to(s->request_pool_bytes_max, pool_bytes);
    add(s->requests_active, -1);
    return APR_SUCCESS;
}

// APR 1.x without APR_POOL_DEBUG builds a pool inside its first block: the
// pool struct sits APR_MEMNODE_T_SIZE bytes after the apr_memnode_t that
// heads the block, and every block of the pool is on one ring through
// node->next (apr_pools.c, apr_pool_create_ex and apr_palloc). That is not
// documented API, so pool_block_bytes checks it once on a pool of its own
// and reports 0 if it does not hold.
const apr_memnode_t* first_node(apr_pool_t* p)
{
    return reinterpret_cast<const apr_memnode_t*>(reinterpret_cast<const char*>(p) -
                                                  APR_MEMNODE_T_SIZE);
}

apr_size_t ring_bytes(apr_pool_t* p, int* blocks)
{
    const apr_memnode_t* self = first_node(p);
    const apr_memnode_t* n = self;
    apr_size_t sum = 0;
    *blocks = 0;
    do {
        sum += static_cast<apr_size_t>(n->endp - reinterpret_cast<const char*>(n));
        n = n->next;
    } while (n != self && ++*blocks < 100000);
    ++*blocks;
    return sum;
}

bool layout_holds()
{
#if APR_POOL_DEBUG
    return false;
#else
    apr_allocator_t* a;
    apr_pool_t* p;
    if (apr_allocator_create(&a) != APR_SUCCESS)
        return false;
    if (apr_pool_create_ex(&p, nullptr, nullptr, a) != APR_SUCCESS) {
        apr_allocator_destroy(a);
        return false;
    }
    apr_allocator_owner_set(a, p);
    const apr_memnode_t* self = first_node(p);
    const char* base = reinterpret_cast<const char*>(self);
    const char* pool_at = reinterpret_cast<const char*>(p);
    int blocks = 0;
    bool ok = self->next == self && self->ref == &const_cast<apr_memnode_t*>(self)->next &&
              self->first_avail > pool_at && self->first_avail <= self->endp &&
              self->endp - base >= 4096 && self->endp - base <= 64 * 1024;
    apr_size_t one = ok ? ring_bytes(p, &blocks) : 0;
    ok = ok && blocks == 1;
    if (ok) {
        apr_palloc(p, 20000);  // cannot fit in the first block: a second one
        apr_size_t two = ring_bytes(p, &blocks);
        ok = blocks == 2 && two >= one + 20000;
    }
    apr_pool_destroy(p);
    return ok;
#endif
}

} // namespace

apr_size_t pool_block_bytes(apr_pool_t* p)
{
    static const bool holds = layout_holds();
    int blocks;
    return holds && p ? ring_bytes(p, &blocks) : 0;
}

int scoreboard_slots_for(x0_server_t* s, bool single_process)
{
    if (single_process)
        return 1;
    long n = core_server_conf(s)->workers;
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    // A graceful restart runs two generations side by side, and a slow old
    // one may still be finishing at the next restart: four per worker.
    return static_cast<int>(std::min<long>(std::max<long>(4 * std::max(n, 1L), 16), max_slots));
}

bool scoreboard_create(int n)
{
    if (board)
        return true;
    n = std::max(1, std::min(n, max_slots));
    size_t bytes = sizeof(sb_header) + sizeof(sb_slot) * static_cast<size_t>(n);
    void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        x0_log_error(X0LOG(00501), X0_LOG_ERR, APR_FROM_OS_ERROR(errno), nullptr,
                     "cannot map the scoreboard (%zu bytes): server-status shows nothing", bytes);
        return false;
    }
    // Fresh anonymous memory is zero: every counter and pid starts at 0.
    board = static_cast<sb_header*>(m);
    board->magic = scoreboard_magic;
    board->slots = n;
    board->generation.store(1, std::memory_order_relaxed);
    board->started = apr_time_now();
    slots = reinterpret_cast<sb_slot*>(board + 1);
    mapped_bytes = bytes;
    return true;
}

void scoreboard_set_generation(int g)
{
    if (board)
        board->generation.store(g, std::memory_order_relaxed);
}

void scoreboard_attach(apr_pool_t* pool, struct ev_loop* loop)
{
    sb_slot* s = claim_slot();
    if (!s) {
        if (board)
            x0_log_error(X0LOG(00502), X0_LOG_WARNING, 0, nullptr, "all %d scoreboard slots "
                         "are taken: this worker's figures are not shown", board->slots);
        s = &private_slot;
    }
    for (auto& c : s->conns)
        c.store(0, std::memory_order_relaxed);
    s->requests_active.store(0, std::memory_order_relaxed);
    for (auto& row : s->rows)
        row.started.store(0, std::memory_order_relaxed);
    for (counter* c : {&s->heap_bytes, &s->heap_bytes_max, &s->worker_pool_bytes,
                       &s->conn_pool_bytes_max, &s->request_pool_bytes_max})
        c->store(0, std::memory_order_relaxed);
    s->generation.store(board ? get(board->generation) : 1, std::memory_order_relaxed);
    s->started.store(apr_time_now(), std::memory_order_relaxed);
    mine = s;
    forget_rows();
    worker_pool = pool;
    sample(s);
    apr_pool_cleanup_register(pool, nullptr, detach, apr_pool_cleanup_null);
    if (loop) {
        ev_timer_init(&sample_timer, sample_callback, sample_seconds, sample_seconds);
        ev_timer_start(loop, &sample_timer);
        ev_unref(loop);  // the sampler alone does not keep the worker running
    }
}

void scoreboard_conn_opened()
{
    add<apr_uint64_t>(mine->connections, 1);
    add(mine->conns[X0_SB_CONN_IDLE], 1);
}

void scoreboard_conn_move(const connection* c, conn_phase to)
{
    int from = state_index(c->phase);
    int next = state_index(to);
    if (from == next)
        return;
    sb_slot* s = mine;
    if (from >= 0)
        add(s->conns[from], -1);
    if (next < 0)
        return;
    add(s->conns[next], 1);
    for (int i = 0; i < scoreboard_rows && rows_used > 0; ++i)
        if (row_conn[i] == c)
            s->rows[i].conn_state.store(next, std::memory_order_relaxed);
}

void scoreboard_conn_pool_done(apr_pool_t* p)
{
    apr_uint64_t bytes = pool_block_bytes(p);
    add<apr_uint64_t>(mine->conn_pool_releases, 1);
    add<apr_uint64_t>(mine->conn_pool_bytes, bytes);
    raise_to(mine->conn_pool_bytes_max, bytes);
}

void scoreboard_request_start(x0_request_t* r)
{
    sb_slot* s = mine;
    add(s->requests_active, 1);
    apr_pool_cleanup_register(r->pool, r, request_done, apr_pool_cleanup_null);
    if (rows_used == scoreboard_rows)
        return;
    int i = 0;
    while (row_request[i])
        ++i;
    const connection* c = active_of(r->connection)->rec;
    row_request[i] = r;
    row_conn[i] = c;
    ++rows_used;
    sb_row& row = s->rows[i];
    copy_text(row.client, sizeof row.client, r->connection->client_ip);
    copy_text(row.vhost, sizeof row.vhost, r->hostname ? r->hostname
                                                       : r->connection->base_server->server_name);
    copy_text(row.request, sizeof row.request, r->the_request);
    row.bytes_sent.store(0, std::memory_order_relaxed);
    row.pool_bytes.store(pool_block_bytes(r->pool), std::memory_order_relaxed);
    row.conn_state.store(state_index(c->phase) < 0 ? X0_SB_CONN_BUSY : state_index(c->phase),
                         std::memory_order_relaxed);
    row.started.store(r->request_time ? r->request_time : 1, std::memory_order_release);
}

void scoreboard_request_progress(const x0_request_t* r, apr_uint64_t sent)
{
    for (int i = 0; i < scoreboard_rows; ++i)
        if (row_request[i] == r) {
            mine->rows[i].bytes_sent.store(sent, std::memory_order_relaxed);
            return;
        }
}

void scoreboard_reset_for_tests()
{
    if (board)
        munmap(board, mapped_bytes);
    board = nullptr;
    slots = nullptr;
    mine = &private_slot;
    forget_rows();
    worker_pool = nullptr;
}

} // namespace x0

using namespace x0;

extern "C" {

int x0_scoreboard_slots(void)
{
    return board ? board->slots : 0;
}

int x0_scoreboard_rows(void)
{
    return scoreboard_rows;
}

apr_time_t x0_scoreboard_started(void)
{
    return board ? board->started : 0;
}

int x0_scoreboard_generation(void)
{
    return board ? get(board->generation) : 0;
}

int x0_scoreboard_worker(int i, x0_scoreboard_worker_t* out, apr_size_t size)
{
    if (!board || i < 0 || i >= board->slots)
        return -1;
    const sb_slot& s = slots[i];
    x0_scoreboard_worker_t w;
    memset(&w, 0, sizeof w);
    w.requests = get(s.requests);
    w.bytes_sent = get(s.bytes_sent);
    w.connections = get(s.connections);
    w.request_pool_bytes = get(s.request_pool_bytes);
    w.conn_pool_releases = get(s.conn_pool_releases);
    w.conn_pool_bytes = get(s.conn_pool_bytes);
    w.pid = s.pid.load(std::memory_order_acquire);
    // A worker killed outright never gave its slot back: its figures are stale.
    if (w.pid != 0 && w.pid != getpid() && pid_gone(w.pid))
        w.pid = 0;
    if (w.pid != 0) {
        w.generation = get(s.generation);
        w.started = get(s.started);
        for (int k = 0; k < X0_SB_CONN_STATES; ++k)
            w.conns[k] = std::max(0, get(s.conns[k]));
        w.requests_active = std::max(0, get(s.requests_active));
        w.heap_bytes = get(s.heap_bytes);
        w.heap_bytes_max = get(s.heap_bytes_max);
        w.worker_pool_bytes = get(s.worker_pool_bytes);
        w.conn_pool_bytes_max = get(s.conn_pool_bytes_max);
        w.request_pool_bytes_max = get(s.request_pool_bytes_max);
        w.sampled = get(s.sampled);
    }
    memcpy(out, &w, std::min(size, sizeof w));
    return w.pid != 0 ? 1 : 0;
}

int x0_scoreboard_request(int i, int row, x0_scoreboard_request_t* out, apr_size_t size)
{
    if (!board || i < 0 || i >= board->slots || row < 0 || row >= scoreboard_rows)
        return -1;
    const sb_row& src = slots[i].rows[row];
    x0_scoreboard_request_t q;
    memset(&q, 0, sizeof q);
    q.started = src.started.load(std::memory_order_acquire);
    if (q.started != 0 && get(slots[i].pid) != 0) {
        q.conn_state = get(src.conn_state);
        q.bytes_sent = get(src.bytes_sent);
        q.pool_bytes = get(src.pool_bytes);
        copy_text(q.client, sizeof q.client, src.client);
        copy_text(q.vhost, sizeof q.vhost, src.vhost);
        copy_text(q.request, sizeof q.request, src.request);
    } else {
        q.started = 0;
    }
    memcpy(out, &q, std::min(size, sizeof q));
    return q.started != 0 ? 1 : 0;
}

} // extern "C"
