#!/usr/bin/env python3
"""Builds $CORPUS_DIR (~400 real documents) from Debian packages extracted under
$CORPUS_PACKAGES/<package>/ (apt-get download + dpkg-deb -x), plus /usr/share/doc,
/usr/share/common-licenses and the repo's node_modules READMEs. Deterministic
(seeded). Writes MANIFEST.tsv: path, type, bytes, pages, source package."""
import gzip, os, random, shutil, subprocess, sys
from pathlib import Path

# Where the packages were extracted, where the corpus goes, and this repo's node_modules (READMEs).
X = Path(os.environ.get('CORPUS_PACKAGES', '/tmp/corpus-packages'))
OUT = Path(os.environ.get('CORPUS_DIR', '/tmp/corpus'))
REPO_NODE_MODULES = Path(__file__).resolve().parents[2] / 'node_modules'
PDFPAGES = X / 'pdfpages.tsv'
rng = random.Random(20240601)
rows = []          # (relative path, type, bytes, pages, source)
names = set()

def safe(s):
    return ''.join(c if c.isalnum() or c in '-_.' else '-' for c in s)

def place(src: Path, kind: str, name: str, source: str, pages=None, ext=None):
    """Copies (gunzipping .gz) src to OUT/kind/name; names are unique corpus-wide
    because the API only sees the basename."""
    name = safe(name)
    if src.name.endswith('.gz'):
        name = name[:-3] if name.endswith('.gz') else name
    if ext and not name.endswith('.' + ext):
        name = f'{name}.{ext}'
    base, dot, e = name.rpartition('.')
    n, candidate = 1, name
    while candidate.lower() in names:
        n += 1
        candidate = f'{base}-{n}.{e}'
    names.add(candidate.lower())
    dest = OUT / kind / candidate
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.name.endswith('.gz'):
        with gzip.open(src, 'rb') as f, open(dest, 'wb') as g:
            shutil.copyfileobj(f, g)
    else:
        shutil.copyfile(src, dest)
    size = dest.stat().st_size
    if size >= 100 * 1024 * 1024:
        dest.unlink(); names.discard(candidate.lower()); return None
    rows.append((f'{kind}/{candidate}', kind, size, '' if pages is None else str(pages), source))
    return dest

def pkg_of(p: Path):
    return p.relative_to(X).parts[0] if X in p.parents else None

def pdf_pages(path: Path):
    out = subprocess.run(['pdfinfo', str(path)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith('Pages:'):
            return int(line.split()[1])
    return None

# ---------------- PDF ----------------
pdfs = []
for line in PDFPAGES.read_text().splitlines():
    p, pages, size = line.split('\t')
    if pages == '?': continue
    pdfs.append((X / p[2:], int(pages), int(size)))
by_name = {}
for p, pages, size in pdfs:
    by_name.setdefault(p.name, []).append((p, pages, size))
MUST = ['source3.pdf', 'lwarp.pdf', 'pgfmanual.pdf', 'glossaries-extra-code.pdf', 'glossaries-extra-manual.pdf',
        'glossaries-code.pdf', 'xysource.pdf', 'bidi.pdf', 'memman.pdf',
        'hyperref.pdf', 'mercatormap.pdf',
        'cnbook.pdf', 'ctex.pdf', 'lshort-zh-cn.pdf', 'pldoc.pdf', 'jlshort.pdf', 'luatexja-ja.pdf', 'bxjscls.pdf',
        'lshortru.pdf', 'lshort-ukr.pdf', 'mpman-ru.pdf', 'teubner.pdf', 'compound.pdf',
        'xepersian.pdf', 'arabdoc.pdf', 'interface3.pdf']
chosen = []
for n in MUST:
    cands = sorted(by_name[n], key=lambda t: ('latex-dev' in str(t[0]), -t[2]))
    chosen.append(cands[0])
# source2e: the release one, not latex-dev
chosen.append(next(t for t in by_name['source2e.pdf'] if 'latex-dev' not in str(t[0])))
taken = {t[0] for t in chosen}
rest = [t for t in pdfs if t[0] not in taken and 60_000 <= t[2] <= 600_000 and 'latex-dev' not in str(t[0])]
rng.shuffle(rest)
# spread over packages: at most 5 fillers each
per_pkg = {}
for t in rest:
    if len(chosen) >= 62: break
    k = pkg_of(t[0]); 
    if per_pkg.get(k, 0) >= 5: continue
    per_pkg[k] = per_pkg.get(k, 0) + 1
    chosen.append(t)
for p, pages, size in chosen:
    place(p, 'pdf', p.name, pkg_of(p), pages)
# Debian Policy as a PDF not made by a TeX Live package
pol = X / 'debian-policy/usr/share/doc/debian-policy/policy.pdf.gz'
d = place(pol, 'pdf', 'debian-policy.pdf', 'debian-policy')
rows[-1] = rows[-1][:3] + (str(pdf_pages(d)),) + rows[-1][4:]

# ---------------- EPUB ----------------
for p in sorted(X.glob('live-manual-epub/**/*.epub')):
    place(p, 'epub', p.name, 'live-manual-epub')
for p in sorted(X.glob('ubuntu-packaging-guide-epub*/**/*.epub')):
    pkg = pkg_of(p)
    lang = pkg.removeprefix('ubuntu-packaging-guide-epub').lstrip('-') or 'en'
    place(p, 'epub', f'ubuntu-packaging-guide.{lang}.epub', pkg)
place(X / 'developers-reference/usr/share/developers-reference/developers-reference.epub', 'epub', 'developers-reference.epub', 'developers-reference')
place(X / 'debian-policy/usr/share/doc/debian-policy/policy.epub', 'epub', 'debian-policy.epub', 'debian-policy')

# ---------------- HTML ----------------
pyhtml = X / 'python3.11-doc/usr/share/doc/python3.11/html'
py = sorted(p for p in pyhtml.rglob('*.html') if not p.name.startswith('genindex') and '_static' not in p.parts)
big_py = [pyhtml / s for s in ['library/stdtypes.html', 'library/os.html', 'library/typing.html', 'library/unittest.mock.html',
                               'whatsnew/2.7.html', 'whatsnew/3.5.html', 'reference/datamodel.html', 'library/functions.html']]
rest = [p for p in py if p not in big_py]
rng.shuffle(rest)
for p in big_py + rest[:82]:
    place(p, 'html', 'python-' + '-'.join(p.relative_to(pyhtml).parts), 'python3.11-doc')
pghtml = X / 'postgresql-doc-15/usr/share/doc/postgresql-doc-15/html'
pg = sorted(pghtml.glob('*.html'))
pg_sorted = sorted(pg, key=lambda p: -p.stat().st_size)
big_pg = pg_sorted[:6]
rest = [p for p in pg if p not in big_pg]
rng.shuffle(rest)
for p in big_pg + rest[:74]:
    place(p, 'html', 'postgresql-' + p.name, 'postgresql-doc-15')
polhtml = X / 'debian-policy/usr/share/doc/debian-policy/policy.html'
for p in sorted(polhtml.glob('ch-*.html'))[:6]:
    place(p, 'html', 'debian-policy-' + p.name, 'debian-policy')

# ---------------- TXT ----------------
for p in sorted(X.glob('live-manual-txt/usr/share/doc/live-manual/txt/*.txt.gz')):
    place(p, 'txt', p.name, 'live-manual-txt')
for n in ['policy.txt.gz', 'perl-policy.txt.gz', 'menu-policy.txt.gz', 'debconf_specification.txt.gz', 'upgrading-checklist.txt.gz']:
    place(X / 'debian-policy/usr/share/doc/debian-policy' / n, 'txt', 'debian-' + n, 'debian-policy')
for n in ['Apache-2.0', 'GPL-3', 'GPL-2', 'LGPL-2.1', 'MPL-2.0', 'GFDL-1.3', 'Artistic', 'CC0-1.0']:
    place(Path('/usr/share/common-licenses') / n, 'txt', f'license-{n}.txt', 'base-files')
src = pyhtml / '_sources'
rst = sorted(src.rglob('*.rst.txt'))
rng.shuffle(rst)
for p in rst[:28]:
    place(p, 'txt', 'python-source-' + '-'.join(p.relative_to(src).parts), 'python3.11-doc')
copyrights = sorted(Path('/usr/share/doc').glob('*/copyright'))
rng.shuffle(copyrights)
for p in copyrights[:12]:
    place(p, 'txt', f'copyright-{p.parent.name}.txt', p.parent.name)

# ---------------- MD ----------------
mds = sorted(p for p in Path('/usr/share/doc').rglob('*') if p.is_file() and (p.name.endswith('.md') or p.name.endswith('.md.gz')))
for p in mds[:25]:
    place(p, 'md', f'{p.parent.name}-{p.name}', p.relative_to('/usr/share/doc').parts[0] + ' (/usr/share/doc)')
readmes = []
for d in sorted(REPO_NODE_MODULES.iterdir()):
    dirs = sorted(d.iterdir()) if d.name.startswith('@') and d.is_dir() else [d]
    for pkgdir in dirs:
        for cand in ['README.md', 'readme.md', 'Readme.md']:
            f = pkgdir / cand
            if f.is_file() and f.stat().st_size > 1500:
                readmes.append(f); break
rng.shuffle(readmes)
for p in readmes[:40]:
    rel = p.parent.relative_to(REPO_NODE_MODULES)
    place(p, 'md', f'npm-{"-".join(rel.parts)}-README.md', f'npm:{"/".join(rel.parts)} (node_modules)')

# ---------------- DOCX (pandoc from real pages; no Debian package ships .docx) ----------------
tmp = X / 'docx-sources'; tmp.mkdir(exist_ok=True)
docx_sources = [
    (pyhtml / 'tutorial/classes.html', 'html', 'python3.11-doc'),
    (pyhtml / 'library/datetime.html', 'html', 'python3.11-doc'),
    (pyhtml / 'howto/logging.html', 'html', 'python3.11-doc'),
    (pyhtml / 'library/re.html', 'html', 'python3.11-doc'),
    (pghtml / 'tutorial-join.html', 'html', 'postgresql-doc-15'),
    (pghtml / 'sql-select.html', 'html', 'postgresql-doc-15'),
    (pghtml / 'mvcc-intro.html', 'html', 'postgresql-doc-15'),
    (polhtml / 'ch-relationships.html', 'html', 'debian-policy'),
    (polhtml / 'ch-controlfields.html', 'html', 'debian-policy'),
]
for lang in ['de', 'ja', 'fr']:
    docx_sources.append((X / f'live-manual-txt/usr/share/doc/live-manual/txt/live-manual.{lang}.txt.gz', 'markdown', 'live-manual-txt'))
for src_path, fmt, pkg in docx_sources:
    inp = src_path
    if src_path.name.endswith('.gz'):
        inp = tmp / src_path.name[:-3]
        with gzip.open(src_path, 'rb') as f, open(inp, 'wb') as g: shutil.copyfileobj(f, g)
    stem = inp.name.rsplit('.', 1)[0]
    out = tmp / f'{pkg}-{stem}.docx'
    subprocess.run(['pandoc', '-f', fmt, '-t', 'docx', '-o', str(out), str(inp)], check=True, capture_output=True)
    place(out, 'docx', out.name, f'{pkg} (pandoc → docx)')

OUT.mkdir(exist_ok=True)
with open(OUT / 'MANIFEST.tsv', 'w') as f:
    f.write('path\ttype\tbytes\tpages\tsource_package\n')
    for r in sorted(rows):
        f.write('\t'.join(str(c) for c in r) + '\n')
total = sum(r[2] for r in rows)
from collections import Counter
c = Counter(r[1] for r in rows)
print(len(rows), 'files', round(total / 1048576, 1), 'MB', dict(c))
for k in c:
    print(k, round(sum(r[2] for r in rows if r[1] == k) / 1048576, 1), 'MB')
