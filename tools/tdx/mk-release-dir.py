#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write a synthetic TDX module release directory, laid out as Intel's.

  mk-release-dir.py [--cpu EAX] [--sim] [--mapping KIND] [--order ORDER]
                    OUTDIR [SPEC...]

OUTDIR gets mapping_file.json, joined_files/<major.minor>/ and
separate_files/<major.minor>/<x.y.z>/.  Options and SPECs may come in any
order.  Everything is deterministic: the same arguments write the same
bytes.  Without --sim the modules are not real: their pages are filler
derived from the version, but every file is well formed unless a SPEC
asks otherwise: the 0x100 blob's checksum is right, and the sigstruct
carries the module's SHA-384 at offset 900 (which the kernel's image check
compares), its type at 12 (bit 31: debug) and its list of CPUs
(CPUID.1.EAX values) at 1024.

With --sim, the module pages are a module the simulated P-SEAMLDR of the
test kernels installs (tools/testing/tdx/tdx_sim_image.h): the first page
starts with struct tdx_sim_module_desc (magic TDXSIMMD, the release's
version, handoff versions, crypto library version, features0 = the
mapping file's tdx_feature0), the later pages hold the pattern
tdx_sim_make_image() writes, and the sigstruct starts with struct
tdx_sim_sigstruct (magic SIMSIGST, module pages, the FNV-1a digest of all
module pages), zeros elsewhere but for the fields above.  Its type at 12
is tdx_sim_sigstruct's pad, zero unless debug=1; the simulated P-SEAMLDR
does not read it.  The simulator boots module 1.5.06 under P-SEAMLDR
1.5.02: "mk-release-dir.py --sim --cpu EAX OUTDIR", EAX the test VM's
CPUID.1.EAX, makes the standard set for it.

Without SPECs the standard set is written; for a host running 1.5.06 under
a P-SEAMLDR 1.5.02 on the CPU given with --cpu, it has one release for every
rule (STANDARD in this script): 1.5.09 is the newest loadable one, and
1.5.10 with --debug.

A SPEC is VERSION[:KEY=VALUE[,KEY=VALUE...]]; the keys:

  files=joined|separate|both|image|none
                 the 0x100 blob (default), the .bin and .sigstruct, both,
                 a 0x200 image in joined_files/, or no file at all
  min=X.Y.Z      min_module_version_for_td_preserving (default X.Y.01)
  seamldr=A/B..  min_seamldr_versions, /-separated (default 1.5.00/2.0.00)
  debug=1        a debug module (sigstruct type bit 31)
  cpus=match|other|stepping|none|HEX/HEX..
                 the sigstruct's CPU list: --cpu among others (default);
                 others only; --cpu with another stepping only; empty; or
                 the values given
  pages=N        module pages (default 2 + update % 3)
  reserve=N      extra reserved pages in the 0x100 blob (offset 8K + N*4K)
  listed=0       leave the release out of mapping_file.json
  feature0=HEX   tdx_feature0 (default 0x2E1F0FBF)
  corrupt=KIND   break the file(s); KIND is one of CORRUPT below

and with --sim only:

  handoff=N      the handoff version the module writes (default 4)
  min_handoff=N  the oldest handoff version it imports (default 2)
  crypto=N       its crypto library version (default 100 + the update
                 number: a library of its own, unlike the booted
                 module's 1, so that an update landing inside a TD build
                 leaves a wrong MRTD)

--mapping KIND writes a broken (or, for "unusual", an odd but valid)
mapping file instead of the good one: one of MAPPINGS below, or "missing"
for none.  --order sets the order of the releases in it: "scrambled"
(default, deterministic), "sorted" or "reverse".
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import textwrap

PAGE = 4096
SIGSTRUCT = 2048
DIGEST_OFF = 900
TYPE_OFF = 12
NR_CPUS_OFF = 1024
CPUS_OFF = 1028
DEBUG_BIT = 1 << 31
DEFAULT_CPU = 0x000806F8

# tools/testing/tdx/tdx_sim_image.h
SIM_MODULE_MAGIC = b'TDXSIMMD'
SIM_SIGSTRUCT_MAGIC = b'SIMSIGST'
SIM_DESC = struct.Struct('<8sHHHHHHIQ')     # struct tdx_sim_module_desc
SIM_SIGSTRUCT = struct.Struct('<8sIIQ')     # struct tdx_sim_sigstruct
SIM_DIGEST_SEED = 0xCBF29CE484222325
SIM_HANDOFF = 4
SIM_MIN_HANDOFF = 2
SIM_CRYPTO_BASE = 100

# The standard set; see the docstring.  Running 1.5.06, P-SEAMLDR 1.5.02.
STANDARD = [
    '1.5.01',                               # older
    '1.5.05:files=separate',                # older
    '1.5.06:files=both',                    # already running
    '1.5.08:files=both',                    # loadable, both formats
    '1.5.09:files=separate,cpus=stepping',  # loadable: stepping ignored
    '1.5.10:debug=1',                       # debug
    '1.5.11:cpus=other',                    # CPU not listed
    '1.5.12:files=image',                   # 0x200 image, CPU not listed
    '1.5.13:min=1.5.07',                    # below min_module_version_...
    '1.5.14:seamldr=1.5.03/2.0.00',         # P-SEAMLDR too old
    '1.5.15:corrupt=checksum',              # checksum
    '1.5.16:corrupt=truncate',              # format: truncated
    '1.5.17:listed=0',                      # not in the mapping file
    '1.5.18:files=none',                    # no file
    '2.0.02:min=2.0.02,seamldr=2.0.00',     # other release line
]
# 1.5.12 is a well-formed 0x200 image that lists other CPUs only
STANDARD_EXTRA = {'1.5.12': {'cpus': 'other'}}

CORRUPT = {
    # 0x100 blob
    'checksum': 'a module byte flipped, the checksum left: bad checksum',
    'digest': 'a module byte flipped, the checksum fixed: the kernel\'s '
              'digest check fails',
    'truncate': 'cut in the middle of the module: truncated',
    'short': 'only the first 100 bytes: truncated',
    'signature': 'signature TDX-BLOX',
    'version': 'header version 0x101',
    'length': 'a page appended, the length field left: length mismatch',
    'offset': 'module offset 0x2800, not page-aligned',
    'offset-low': 'module offset 0x1000, inside the sigstruct page',
    'no-module': 'module offset at the end of the blob',
    'unaligned': '100 bytes more module, length and checksum fixed',
    'too-large': '497 module pages',
    'reserved0': 'reserved0 set',
    'reserved1': 'a byte of reserved1[] set',
    'reserved-sig': 'a byte of the reserved half page after the sigstruct',
    'reserved-n': 'a byte of the extra reserved page (needs reserve=1)',
    'cpucount': 'the sigstruct lists 300 CPUs: more than fit',
    # separate files
    'sig-short': 'a .sigstruct of 2000 bytes',
    'sig-long': 'a .sigstruct of 2049 bytes',
    'bin-unaligned': 'a .bin of 2 pages and 100 bytes',
    'bin-empty': 'an empty .bin',
    'no-sigstruct': 'no .sigstruct',
    'sep-digest': 'a .bin byte flipped: the digest check fails',
    # 0x200 image
    'img-digest': 'a module byte flipped',
    'img-truncate': 'the last page cut',
    'img-length': 'a page appended',
    'img-reserved': 'a reserved header byte set',
    'img-signature': 'signature TDX-BLOX',
    'img-version': 'header version 0x300',
    'img-too-large': 'the header says 497 module pages',
}

MAPPINGS = {
    # Not JSON
    'empty': '',
    'trailing-comma': '{"tdx_module_releases": [],}',
    'unterminated-string': '{"tdx_module_releases": [{"version": "1.5.08}]}',
    'comment': '// releases\n{"tdx_module_releases": []}',
    'single-quotes': "{'tdx_module_releases': []}",
    'leading-zero': '{"Header": {"n": 01}, "tdx_module_releases": []}',
    'bad-escape': '{"Header": {"n": "a\\qb"}, "tdx_module_releases": []}',
    'control-char': '{"Header": {"n": "a\tb"}, "tdx_module_releases": []}',
    'trailing-garbage': '{"tdx_module_releases": []} x',
    'bad-literal': '{"Header": {"n": tru}, "tdx_module_releases": []}',
    'missing-colon': '{"tdx_module_releases" []}',
    'missing-comma': '{"Header": {} "tdx_module_releases": []}',
    'unclosed': '{"tdx_module_releases": [',
    'deep': '{"Header": ' + '[' * 100 + ']' * 100 +
            ', "tdx_module_releases": []}',
    'duplicate-key': '{"tdx_module_releases": [], "tdx_module_releases": []}',
    'invalid-utf8': b'{"Header": {"n": "\xc3\x28"}, "tdx_module_releases": []}',
    'overlong-utf8': b'{"Header": {"n": "\xc0\xaf"}, "tdx_module_releases": []}',
    'lone-surrogate': '{"Header": {"n": "\\ud800"}, "tdx_module_releases": []}',
    'nul-escape': '{"Header": {"n": "\\u0000"}, "tdx_module_releases": []}',
    'nan': '{"Header": {"n": NaN}, "tdx_module_releases": []}',
    'bad-number': '{"Header": {"n": 1.}, "tdx_module_releases": []}',
    'bad-exponent': '{"Header": {"n": 1e+}, "tdx_module_releases": []}',
    # JSON, but not a mapping file
    'top-array': '[]',
    'header-not-object': '{"Header": [], "tdx_module_releases": []}',
    'no-releases': '{"Header": {}}',
    'releases-not-array': '{"tdx_module_releases": {}}',
    'entry-not-object': '{"tdx_module_releases": ["1.5.08"]}',
    'no-version': '{"tdx_module_releases": [{"min_module_version_for_td_'
                  'preserving": "1.5.01", "min_seamldr_versions": '
                  '["1.5.00"]}]}',
    'version-number': '{"tdx_module_releases": [{"version": 1.5, '
                      '"min_module_version_for_td_preserving": "1.5.01", '
                      '"min_seamldr_versions": ["1.5.00"]}]}',
    'bad-version': '{"tdx_module_releases": [{"version": "1.5", '
                   '"min_module_version_for_td_preserving": "1.5.01", '
                   '"min_seamldr_versions": ["1.5.00"]}]}',
    'no-min': '{"tdx_module_releases": [{"version": "1.5.08", '
              '"min_seamldr_versions": ["1.5.00"]}]}',
    'seamldr-empty': '{"tdx_module_releases": [{"version": "1.5.08", '
                     '"min_module_version_for_td_preserving": "1.5.01", '
                     '"min_seamldr_versions": []}]}',
    'seamldr-not-array': '{"tdx_module_releases": [{"version": "1.5.08", '
                         '"min_module_version_for_td_preserving": "1.5.01", '
                         '"min_seamldr_versions": "1.5.00"}]}',
    'bad-seamldr': '{"tdx_module_releases": [{"version": "1.5.08", '
                   '"min_module_version_for_td_preserving": "1.5.01", '
                   '"min_seamldr_versions": ["1.5.00", "2.0"]}]}',
    'bad-feature0': '{"tdx_module_releases": [{"version": "1.5.08", '
                    '"min_module_version_for_td_preserving": "1.5.01", '
                    '"min_seamldr_versions": ["1.5.00"], '
                    '"tdx_feature0": "2E1F0FBF"}]}',
    'duplicate-version': '{"tdx_module_releases": [{"version": "1.5.08", '
                         '"min_module_version_for_td_preserving": "1.5.01", '
                         '"min_seamldr_versions": ["1.5.00"]}, '
                         '{"version": "1.5.8", '
                         '"min_module_version_for_td_preserving": "1.5.01", '
                         '"min_seamldr_versions": ["1.5.00"]}]}',
}
# Valid: a byte order mark, CRLF, escapes, exponents, unknown members
MAPPING_UNUSUAL = None          # built from the releases, see write_mapping


def filler(tag, size):
    """size deterministic bytes derived from tag"""
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(('%s/%d' % (tag, i)).encode()).digest()
        i += 1
    return bytearray(out[:size])


def sim_digest(data):
    """tdx_sim_digest(): 64-bit FNV-1a from TDX_SIM_DIGEST_SEED"""
    h = SIM_DIGEST_SEED
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def parse_version(text):
    parts = text.split('.')
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError('not a version X.Y.Z: %r' % text)
    return tuple(int(p) for p in parts)


def checksum_fix(blob, field):
    """Set the u16 at field so that all 16-bit words sum to 0"""
    struct.pack_into('<H', blob, field, 0)
    if len(blob) % 2:
        total = sum(struct.unpack_from('<%dH' % (len(blob) // 2), blob))
        total += blob[-1]
    else:
        total = sum(struct.unpack('<%dH' % (len(blob) // 2), blob))
    struct.pack_into('<H', blob, field, (-total) & 0xFFFF)


def cpu_list(kind, cpu):
    step = cpu & 0xF
    other1 = 0x000A06D0 if (cpu & ~0xF) != 0x000A06D0 else 0x000C06F0
    other2 = 0x000906A3 if (cpu & ~0xF) != 0x000906A0 else 0x000B06F2
    if kind == 'match':
        return [other1, cpu, other2]
    if kind == 'other':
        # The same family and stepping, another model: only the masked
        # comparison of the model tells them apart
        return [other1, (cpu & ~0xF0) | ((cpu + 0x10) & 0xF0), other2]
    if kind == 'stepping':
        return [(cpu & ~0xF) | ((step + 5) & 0xF)]
    if kind == 'none':
        return []
    return [int(x, 16) for x in kind.split('/')]


class Release:
    def __init__(self, spec, cpu, sim=False):
        version, _, opts = spec.partition(':')
        self.version = version
        self.ver = parse_version(version)
        self.line = '%d.%d' % self.ver[:2]
        o = {}
        for item in filter(None, opts.split(',')):
            key, sep, value = item.partition('=')
            if not sep:
                raise ValueError('%s: %r is not KEY=VALUE' % (spec, item))
            o[key] = value
        o = {**STANDARD_EXTRA.get(version, {}), **o} if self.standard else o
        known = {'files', 'min', 'seamldr', 'debug', 'cpus', 'pages',
                 'reserve', 'listed', 'feature0', 'corrupt'}
        sim_keys = {'handoff', 'min_handoff', 'crypto'}
        if set(o) - known - sim_keys:
            raise ValueError('%s: unknown keys %s' %
                             (spec, set(o) - known - sim_keys))
        if not sim and set(o) & sim_keys:
            raise ValueError('%s: %s only with --sim' %
                             (spec, ', '.join(sorted(set(o) & sim_keys))))
        self.sim = sim
        self.handoff = int(o.get('handoff', str(SIM_HANDOFF)), 0)
        self.min_handoff = int(o.get('min_handoff', str(SIM_MIN_HANDOFF)), 0)
        self.crypto = int(o.get('crypto',
                                str(SIM_CRYPTO_BASE + self.ver[2])), 0)
        self.files = o.get('files', 'joined')
        if self.files not in ('joined', 'separate', 'both', 'image', 'none'):
            raise ValueError('%s: files=%s' % (spec, self.files))
        self.min = o.get('min', '%d.%d.01' % self.ver[:2])
        self.seamldr = o.get('seamldr', '1.5.00/2.0.00').split('/')
        self.debug = o.get('debug', '0') == '1'
        self.cpus = cpu_list(o.get('cpus', 'match'), cpu)
        self.pages = int(o.get('pages', 2 + self.ver[2] % 3))
        self.reserve = int(o.get('reserve', 0))
        self.listed = o.get('listed', '1') != '0'
        self.feature0 = o.get('feature0', '0x2E1F0FBF')
        self.corrupt = o.get('corrupt')
        if self.corrupt and self.corrupt not in CORRUPT:
            raise ValueError('%s: corrupt=%s' % (spec, self.corrupt))
        if self.corrupt == 'too-large':
            self.pages = 497
        if self.corrupt == 'reserved-n' and not self.reserve:
            self.reserve = 1

    standard = False

    def module(self):
        if self.sim:
            return self.sim_module()
        return filler('module ' + self.version, self.pages * PAGE)

    def sim_module(self):
        """The pages tdx_sim_make_image() writes for this release"""
        major, minor, update = self.ver
        module = bytearray(self.pages * PAGE)
        SIM_DESC.pack_into(module, 0, SIM_MODULE_MAGIC, major, minor, update,
                           self.handoff, self.min_handoff, 0, self.crypto,
                           int(self.feature0, 16))
        # module[i] = i * 31 + update * 7 + crypto (mod 256) after the
        # first page: a cycle of 256 bytes, since PAGE is a multiple of it
        k = update * 7 + self.crypto
        cycle = bytes((i * 31 + k) & 0xFF for i in range(256))
        module[PAGE:] = cycle * ((self.pages - 1) * PAGE // 256)
        return module

    def sigstruct(self, module):
        if self.sim:
            sig = bytearray(SIGSTRUCT)
            SIM_SIGSTRUCT.pack_into(sig, 0, SIM_SIGSTRUCT_MAGIC, self.pages,
                                    0, sim_digest(module))
        else:
            sig = filler('sigstruct ' + self.version, SIGSTRUCT)
        struct.pack_into('<I', sig, TYPE_OFF, DEBUG_BIT if self.debug else 0)
        sig[DIGEST_OFF:DIGEST_OFF + 48] = hashlib.sha384(module).digest()
        nr = 300 if self.corrupt == 'cpucount' else len(self.cpus)
        struct.pack_into('<I', sig, NR_CPUS_OFF, nr)
        for i, c in enumerate(self.cpus):
            struct.pack_into('<I', sig, CPUS_OFF + 4 * i, c)
        # Zero the unused rest of the list's space: deterministic anyway
        end = CPUS_OFF + 4 * len(self.cpus)
        sig[end:] = bytes(SIGSTRUCT - end)
        return sig

    def blob(self):
        module = self.module()
        sig = self.sigstruct(module)
        offset = 2 * PAGE + self.reserve * PAGE
        blob = bytearray(offset) + module
        struct.pack_into('<HHI8sII', blob, 0, 0x100, 0, offset, b'TDX-BLOB',
                         len(blob), 0)
        blob[PAGE:PAGE + SIGSTRUCT] = sig
        c = self.corrupt
        fix = True
        if c == 'checksum':
            checksum_fix(blob, 2)
            blob[offset + 5] ^= 0x40
            fix = False
        elif c == 'digest':
            blob[offset + 5] ^= 0x40
        elif c == 'truncate':
            checksum_fix(blob, 2)
            return blob[:offset + PAGE + 123]
        elif c == 'short':
            checksum_fix(blob, 2)
            return blob[:100]
        elif c == 'signature':
            blob[8:16] = b'TDX-BLOX'
        elif c == 'version':
            struct.pack_into('<H', blob, 0, 0x101)
        elif c == 'length':
            checksum_fix(blob, 2)
            return blob + bytes(PAGE)
        elif c == 'offset':
            struct.pack_into('<I', blob, 4, 0x2800)
        elif c == 'offset-low':
            struct.pack_into('<I', blob, 4, 0x1000)
        elif c == 'no-module':
            blob = blob[:offset]
            struct.pack_into('<I', blob, 16, len(blob))
        elif c == 'unaligned':
            blob += filler('extra', 100)
            struct.pack_into('<I', blob, 16, len(blob))
        elif c == 'reserved0':
            struct.pack_into('<I', blob, 20, 1)
        elif c == 'reserved1':
            blob[3000] = 0x5A
        elif c == 'reserved-sig':
            blob[PAGE + SIGSTRUCT + 17] = 0x01
        elif c == 'reserved-n':
            blob[2 * PAGE + 99] = 0x80
        if fix:
            checksum_fix(blob, 2)
        return blob

    def image(self):
        module = self.module()
        sig = self.sigstruct(module)
        img = bytearray(2 * PAGE) + module
        struct.pack_into('<HH8sII', img, 0, 0x200, 0, b'TDX-BLOB', 1,
                         self.pages)
        img[PAGE:PAGE + SIGSTRUCT] = sig
        c = self.corrupt
        if c == 'img-digest':
            img[2 * PAGE + 7] ^= 1
        elif c == 'img-reserved':
            img[100] = 1
        elif c == 'img-signature':
            img[4:12] = b'TDX-BLOX'
        elif c == 'img-version':
            struct.pack_into('<H', img, 0, 0x300)
        elif c == 'img-too-large':
            struct.pack_into('<I', img, 16, 497)
        checksum_fix(img, 2)
        if c == 'img-truncate':
            return img[:-PAGE]
        if c == 'img-length':
            return img + bytes(PAGE)
        return img

    def separate(self):
        module = self.module()
        sig = self.sigstruct(module)
        c = self.corrupt
        if c == 'sig-short':
            sig = sig[:2000]
        elif c == 'sig-long':
            sig = sig + b'\0'
        elif c == 'bin-unaligned':
            module = module + filler('extra', 100)
        elif c == 'bin-empty':
            module = bytearray()
        elif c == 'sep-digest':
            module[11] ^= 2
        elif c == 'no-sigstruct':
            sig = None
        return module, sig

    def entry(self):
        return {
            'version': self.version,
            'min_module_version_for_td_preserving': self.min,
            'min_seamldr_versions': self.seamldr,
            'tdx_feature0': self.feature0,
        }

    def write(self, out):
        if self.files in ('joined', 'both', 'image'):
            d = os.path.join(out, 'joined_files', self.line)
            os.makedirs(d, exist_ok=True)
            data = self.image() if self.files == 'image' else self.blob()
            write(os.path.join(d, 'tdx_module_%s.blob' % self.version), data)
        if self.files in ('separate', 'both'):
            d = os.path.join(out, 'separate_files', self.line, self.version)
            os.makedirs(d, exist_ok=True)
            module, sig = self.separate()
            base = os.path.join(d, 'tdx_module_%s' % self.version)
            write(base + '.bin', module)
            if sig is not None:
                write(base + '.sigstruct', sig)


def write(path, data):
    with open(path, 'wb') as f:
        f.write(bytes(data))


def ordered(releases, order):
    rs = sorted(releases, key=lambda r: r.ver)
    if order == 'reverse':
        return rs[::-1]
    if order == 'scrambled':
        # Deterministic, and never the sorted order for 3 or more
        return rs[1::2][::-1] + rs[0::2]
    return rs


def write_mapping(out, releases, kind, order):
    path = os.path.join(out, 'mapping_file.json')
    if kind == 'missing':
        return
    if kind in MAPPINGS:
        text = MAPPINGS[kind]
        write(path, text.encode() if isinstance(text, str) else text)
        return
    entries = [r.entry() for r in ordered(releases, order) if r.listed]
    doc = {
        'Header': {
            'Copyright': 'synthetic release directory for tests',
            'Info': 'mk-release-dir.py',
            'Version': '1.0',
        },
        'tdx_module_releases': entries,
    }
    if kind == 'unusual':
        text = json.dumps(doc, indent='\t', ensure_ascii=False)
        # An escaped name, an exponent, nested unknown members, CRLF, BOM
        text = text.replace('"Info"', '"\\u0049nfo"', 1)
        text = text.replace('"Version": "1.0"',
                            '"Version": "1.0", "Size": -1.5e+3, '
                            '"Notes": [true, false, null, {"\\u00e9\\ud83d'
                            '\\ude00": "caf\u00e9 \\"q\\" \\\\ \\/ '
                            '\\b\\f\\n\\r\\t"}]', 1)
        text = '\ufeff' + text.replace('\n', '\r\n') + '\r\n'
        write(path, text.encode())
        return
    if kind:
        raise ValueError('unknown --mapping %s' % kind)
    with open(path, 'w') as f:
        json.dump(doc, f, indent=2)
        f.write('\n')


def main():
    wrap = textwrap.TextWrapper(width=76, break_on_hyphens=False,
                                subsequent_indent='  ')
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(wrap.wrap('CORRUPT: ' + ', '.join(CORRUPT) + '.') +
                         wrap.wrap('MAPPINGS: ' + ', '.join(
                             list(MAPPINGS) + ['unusual', 'missing']) + '.')))
    ap.add_argument('--cpu', default='0x%x' % DEFAULT_CPU,
                    help='CPUID.1.EAX the CPU lists match (default '
                         '0x%x)' % DEFAULT_CPU)
    ap.add_argument('--mapping', help='write this kind of mapping file')
    ap.add_argument('--order', default='scrambled',
                    choices=('scrambled', 'sorted', 'reverse'))
    ap.add_argument('--sim', action='store_true',
                    help='module pages the simulated P-SEAMLDR installs')
    ap.add_argument('outdir')
    ap.add_argument('spec', nargs='*')
    args = ap.parse_intermixed_args()

    try:
        cpu = int(args.cpu, 16)
        Release.standard = not args.spec
        releases = [Release(s, cpu, args.sim)
                    for s in (args.spec or STANDARD)]
        if len({r.ver for r in releases}) != len(releases):
            raise ValueError('a version is given twice')
        if args.mapping and args.mapping not in MAPPINGS and \
           args.mapping not in ('unusual', 'missing'):
            raise ValueError('unknown --mapping %s' % args.mapping)
        os.makedirs(args.outdir, exist_ok=True)
        for r in releases:
            r.write(args.outdir)
        write_mapping(args.outdir, releases, args.mapping, args.order)
    except ValueError as e:
        print('mk-release-dir.py: %s' % e, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
