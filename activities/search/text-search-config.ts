/**
 * PostgreSQL's built-in text-search configurations by language: ISO 639-3
 * (what franc detects), ISO 639-1 and the English name (what a chat model may
 * answer). A language without a stemmer here is searched with `simple`
 * (lower-cased words, no stemming, no stop words). The database is asked
 * whether it has the configuration before one is used (setDocumentTextSearchConfig).
 */
const CONFIGS: Record<string, [iso3: string[], iso1: string]> = {
  arabic: [['arb', 'ara'], 'ar'],
  armenian: [['hye', 'arm'], 'hy'],
  basque: [['eus', 'baq'], 'eu'],
  catalan: [['cat'], 'ca'],
  danish: [['dan'], 'da'],
  dutch: [['nld', 'dut'], 'nl'],
  english: [['eng'], 'en'],
  finnish: [['fin'], 'fi'],
  french: [['fra', 'fre'], 'fr'],
  german: [['deu', 'ger'], 'de'],
  greek: [['ell', 'gre'], 'el'],
  hindi: [['hin'], 'hi'],
  hungarian: [['hun'], 'hu'],
  indonesian: [['ind'], 'id'],
  irish: [['gle'], 'ga'],
  italian: [['ita'], 'it'],
  lithuanian: [['lit'], 'lt'],
  nepali: [['npi', 'nep'], 'ne'],
  norwegian: [['nor', 'nob', 'nno'], 'no'],
  portuguese: [['por'], 'pt'],
  romanian: [['ron', 'rum'], 'ro'],
  russian: [['rus'], 'ru'],
  serbian: [['srp'], 'sr'],
  spanish: [['spa'], 'es'],
  swedish: [['swe'], 'sv'],
  tamil: [['tam'], 'ta'],
  turkish: [['tur'], 'tr'],
  yiddish: [['ydd', 'yid'], 'yi'],
};

const BY_CODE = new Map<string, string>();
for (const [config, [iso3, iso1]] of Object.entries(CONFIGS)) {
  for (const code of [...iso3, iso1, config]) BY_CODE.set(code, config);
}

export const FALLBACK_TEXT_SEARCH_CONFIG = 'simple';

/** The configuration for a detected language (any of the codes above, case-insensitive); `simple` when none fits. */
export function textSearchConfigFor(language: string | undefined | null): string {
  if (!language) return FALLBACK_TEXT_SEARCH_CONFIG;
  return BY_CODE.get(language.trim().toLowerCase()) ?? FALLBACK_TEXT_SEARCH_CONFIG;
}
