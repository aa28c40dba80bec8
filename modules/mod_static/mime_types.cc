/* mime.types parsing and extension lookup; see mime_types.h. */
#include "mime_types.h"

#include <cstring>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

namespace x0 {

namespace {

bool is_blank(char c)
{
    // '\r' too, so that a file with CRLF line ends parses the same.
    return c == ' ' || c == '\t' || c == '\r';
}

/** Map the @a len bytes at @a ext to @a type, which already lives in @a p. */
void add_mapping(apr_pool_t* p, apr_hash_t* types, const char* ext, apr_size_t len,
                 const char* type)
{
    if (len > 0 && ext[0] == '.') {
        ++ext;
        --len;
    }
    if (len == 0 || len > mime_max_extension)
        return;
    char* key = apr_pstrmemdup(p, ext, len);
    for (char* c = key; *c != '\0'; ++c)
        *c = static_cast<char>(apr_tolower(*c));
    apr_hash_set(types, key, static_cast<apr_ssize_t>(len), type);
}

} // namespace

void add_mime_type(apr_pool_t* p, apr_hash_t* types, const char* ext, const char* type)
{
    add_mapping(p, types, ext, strlen(ext), apr_pstrdup(p, type));
}

void parse_mime_types(apr_pool_t* p, apr_hash_t* types, const char* text)
{
    const char* c = text;
    while (*c != '\0') {
        // One line: the first word is the type, the others are extensions.
        const char* type = nullptr;
        while (*c != '\0' && *c != '\n') {
            while (is_blank(*c))
                ++c;
            if (*c == '#') {
                while (*c != '\0' && *c != '\n')
                    ++c;
                break;
            }
            const char* word = c;
            while (*c != '\0' && *c != '\n' && !is_blank(*c))
                ++c;
            if (c == word)
                continue;
            apr_size_t len = static_cast<apr_size_t>(c - word);
            if (!type)
                type = apr_pstrmemdup(p, word, len);
            else
                add_mapping(p, types, word, len, type);
        }
        if (*c == '\n')
            ++c;
    }
}

apr_status_t read_mime_types(apr_pool_t* p, apr_hash_t* types, const char* path)
{
    apr_file_t* f;
    apr_status_t rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS)
        return rv;
    apr_finfo_t finfo;
    rv = apr_file_info_get(&finfo, APR_FINFO_SIZE, f);
    char* text = nullptr;
    if (rv == APR_SUCCESS) {
        apr_size_t len = static_cast<apr_size_t>(finfo.size);
        text = static_cast<char*>(apr_palloc(p, len + 1));
        rv = apr_file_read_full(f, text, len, &len);
        if (rv == APR_EOF)  // it shrank since the stat; take what is there
            rv = APR_SUCCESS;
        text[len] = '\0';
    }
    apr_file_close(f);
    if (rv != APR_SUCCESS)
        return rv;
    parse_mime_types(p, types, text);
    return APR_SUCCESS;
}

const char* lookup_mime_type(apr_hash_t* types, const char* filename)
{
    const char* name = strrchr(filename, '/');
    name = name ? name + 1 : filename;
    const char* dot = strrchr(name, '.');
    if (!dot || dot == name)
        return nullptr;
    const char* ext = dot + 1;
    apr_size_t len = strlen(ext);
    if (len == 0 || len > mime_max_extension)
        return nullptr;
    char lower[mime_max_extension + 1];
    for (apr_size_t i = 0; i < len; ++i)
        lower[i] = static_cast<char>(apr_tolower(ext[i]));
    return static_cast<const char*>(apr_hash_get(types, lower, static_cast<apr_ssize_t>(len)));
}

} // namespace x0
