// The 17 regions and 3 cities of republican significance of Kazakhstan, with their cities (c:) and
// districts, as "Kazakh|Russian" base names. English names are transliterated from the Russian.

interface RegionSource {
  readonly code: string;
  readonly kk: string;
  readonly ru: string;
  readonly en: string;
  /** A city of republican significance: its localities are its city districts. */
  readonly city?: true;
  readonly places: readonly string[];
}

const SOURCES: readonly RegionSource[] = [
  {
    code: "astana",
    kk: "Астана қаласы",
    ru: "город Астана",
    en: "Astana city",
    city: true,
    places: ["Алматы|Алматы", "Байқоңыр|Байконур", "Есіл|Есиль", "Сарыарқа|Сарыарка", "Нұра|Нура"],
  },
  {
    code: "almaty",
    kk: "Алматы қаласы",
    ru: "город Алматы",
    en: "Almaty city",
    city: true,
    places: [
      "Алатау|Алатау",
      "Алмалы|Алмалы",
      "Әуезов|Ауэзов",
      "Бостандық|Бостандык",
      "Жетісу|Жетысу",
      "Медеу|Медеу",
      "Наурызбай|Наурызбай",
      "Түрксіб|Турксиб",
    ],
  },
  {
    code: "shymkent",
    kk: "Шымкент қаласы",
    ru: "город Шымкент",
    en: "Shymkent city",
    city: true,
    places: ["Абай|Абай", "Әл-Фараби|Аль-Фараби", "Еңбекші|Енбекши", "Қаратау|Каратау", "Тұран|Туран"],
  },
  {
    code: "abai",
    kk: "Абай облысы",
    ru: "Абайская область",
    en: "Abai Region",
    places: [
      "c:Семей|Семей",
      "c:Курчатов|Курчатов",
      "Абай|Абай",
      "Аягөз|Аягоз",
      "Бесқарағай|Бескарагай",
      "Бородулиха|Бородулиха",
      "Жаңасемей|Жанасемей",
      "Жарма|Жарма",
      "Көкпекті|Кокпекты",
      "Үржар|Урджар",
      "Мақаншы|Маканчи",
      "Ақсуат|Аксуат",
    ],
  },
  {
    code: "akmola",
    kk: "Ақмола облысы",
    ru: "Акмолинская область",
    en: "Akmola Region",
    places: [
      "c:Көкшетау|Кокшетау",
      "c:Степногорск|Степногорск",
      "Ақкөл|Аккол",
      "Аршалы|Аршалы",
      "Астрахан|Астраханка",
      "Атбасар|Атбасар",
      "Біржан сал|Биржан сал",
      "Бұланды|Буланды",
      "Бурабай|Бурабай",
      "Егіндікөл|Егиндыколь",
      "Ерейментау|Ерейментау",
      "Есіл|Есиль",
      "Жақсы|Жаксы",
      "Жарқайың|Жаркаин",
      "Зеренді|Зеренда",
      "Қорғалжын|Коргалжын",
      "Сандықтау|Сандыктау",
      "Целиноград|Целиноград",
      "Шортанды|Шортанды",
    ],
  },
  {
    code: "aktobe",
    kk: "Ақтөбе облысы",
    ru: "Актюбинская область",
    en: "Aktobe Region",
    places: [
      "c:Ақтөбе|Актобе",
      "Әйтеке би|Айтеке би",
      "Алға|Алга",
      "Байғанин|Байганин",
      "Қарғалы|Каргалы",
      "Қобда|Кобда",
      "Мәртөк|Мартук",
      "Мұғалжар|Мугалжар",
      "Ойыл|Уил",
      "Темір|Темир",
      "Хромтау|Хромтау",
      "Шалқар|Шалкар",
      "Ырғыз|Иргиз",
    ],
  },
  {
    code: "almaty-region",
    kk: "Алматы облысы",
    ru: "Алматинская область",
    en: "Almaty Region",
    places: [
      "c:Қонаев|Конаев",
      "c:Алатау|Алатау",
      "Балқаш|Балхаш",
      "Еңбекшіқазақ|Енбекшиказах",
      "Жамбыл|Жамбыл",
      "Іле|Илийский",
      "Қарасай|Карасай",
      "Кеген|Кеген",
      "Райымбек|Райымбек",
      "Талғар|Талгар",
      "Ұйғыр|Уйгур",
    ],
  },
  {
    code: "atyrau",
    kk: "Атырау облысы",
    ru: "Атырауская область",
    en: "Atyrau Region",
    places: [
      "c:Атырау|Атырау",
      "Жылыой|Жылыой",
      "Индер|Индер",
      "Исатай|Исатай",
      "Құрманғазы|Курмангазы",
      "Қызылқоға|Кызылкога",
      "Мақат|Макат",
      "Махамбет|Махамбет",
    ],
  },
  {
    code: "east",
    kk: "Шығыс Қазақстан облысы",
    ru: "Восточно-Казахстанская область",
    en: "East Kazakhstan Region",
    places: [
      "c:Өскемен|Усть-Каменогорск",
      "c:Риддер|Риддер",
      "Алтай|Алтай",
      "Глубокое|Глубокое",
      "Зайсан|Зайсан",
      "Катонқарағай|Катон-Карагай",
      "Күршім|Курчум",
      "Марқакөл|Маркаколь",
      "Самар|Самарское",
      "Тарбағатай|Тарбагатай",
      "Ұлан|Улан",
      "Шемонаиха|Шемонаиха",
    ],
  },
  {
    code: "jambyl",
    kk: "Жамбыл облысы",
    ru: "Жамбылская область",
    en: "Jambyl Region",
    places: [
      "c:Тараз|Тараз",
      "Байзақ|Байзак",
      "Жамбыл|Жамбыл",
      "Жуалы|Жуалы",
      "Қордай|Кордай",
      "Мерке|Меркенский",
      "Мойынқұм|Мойынкум",
      "Сарысу|Сарысу",
      "Талас|Талас",
      "Тұрар Рысқұлов|Турар Рыскулов",
      "Шу|Шу",
    ],
  },
  {
    code: "jetisu",
    kk: "Жетісу облысы",
    ru: "Область Жетісу",
    en: "Jetisu Region",
    places: [
      "c:Талдықорған|Талдыкорган",
      "c:Текелі|Текели",
      "Ақсу|Аксу",
      "Алакөл|Алаколь",
      "Ескелді|Ескельди",
      "Кербұлақ|Кербулак",
      "Көксу|Коксу",
      "Панфилов|Панфилов",
      "Сарқан|Саркан",
    ],
  },
  {
    code: "karaganda",
    kk: "Қарағанды облысы",
    ru: "Карагандинская область",
    en: "Karaganda Region",
    places: [
      "c:Қарағанды|Караганда",
      "c:Балқаш|Балхаш",
      "c:Приозерск|Приозерск",
      "c:Саран|Сарань",
      "c:Теміртау|Темиртау",
      "c:Шахтинск|Шахтинск",
      "Абай|Абай",
      "Ақтоғай|Актогай",
      "Бұқар жырау|Бухар-Жырау",
      "Қарқаралы|Каркаралы",
      "Нұра|Нура",
      "Осакаров|Осакаровка",
      "Шет|Шет",
    ],
  },
  {
    code: "kostanay",
    kk: "Қостанай облысы",
    ru: "Костанайская область",
    en: "Kostanay Region",
    places: [
      "c:Қостанай|Костанай",
      "c:Арқалық|Аркалык",
      "c:Лисаковск|Лисаковск",
      "c:Рудный|Рудный",
      "Алтынсарин|Алтынсарин",
      "Амангелді|Амангельды",
      "Әулиекөл|Аулиеколь",
      "Бейімбет Майлин|Беимбет Майлин",
      "Денисов|Денисовка",
      "Жангелдин|Джангельдин",
      "Жітіқара|Житикара",
      "Қамысты|Камысты",
      "Қарабалық|Карабалык",
      "Қарасу|Карасу",
      "Қостанай|Костанай",
      "Меңдіқара|Мендыкара",
      "Наурызым|Наурзум",
      "Сарыкөл|Сарыколь",
      "Ұзынкөл|Узунколь",
      "Федоров|Федоровка",
    ],
  },
  {
    code: "kyzylorda",
    kk: "Қызылорда облысы",
    ru: "Кызылординская область",
    en: "Kyzylorda Region",
    places: [
      "c:Қызылорда|Кызылорда",
      "c:Байқоңыр|Байконур",
      "Арал|Арал",
      "Жалағаш|Жалагаш",
      "Жаңақорған|Жанакорган",
      "Қазалы|Казалы",
      "Қармақшы|Кармакши",
      "Сырдария|Сырдарья",
      "Шиелі|Шиели",
    ],
  },
  {
    code: "mangystau",
    kk: "Маңғыстау облысы",
    ru: "Мангистауская область",
    en: "Mangystau Region",
    places: [
      "c:Ақтау|Актау",
      "c:Жаңаөзен|Жанаозен",
      "Бейнеу|Бейнеу",
      "Қарақия|Каракия",
      "Маңғыстау|Мангистау",
      "Мұнайлы|Мунайлы",
      "Түпқараған|Тупкараган",
    ],
  },
  {
    code: "north",
    kk: "Солтүстік Қазақстан облысы",
    ru: "Северо-Казахстанская область",
    en: "North Kazakhstan Region",
    places: [
      "c:Петропавл|Петропавловск",
      "Айыртау|Айыртау",
      "Ақжар|Акжар",
      "Аққайың|Аккайын",
      "Ғабит Мүсірепов|Габит Мусрепов",
      "Есіл|Есиль",
      "Жамбыл|Жамбыл",
      "Қызылжар|Кызылжар",
      "Мағжан Жұмабаев|Магжан Жумабаев",
      "Мамлют|Мамлютка",
      "Тайынша|Тайынша",
      "Тимирязев|Тимирязево",
      "Уәлиханов|Уалиханов",
      "Шал ақын|Шал акын",
    ],
  },
  {
    code: "pavlodar",
    kk: "Павлодар облысы",
    ru: "Павлодарская область",
    en: "Pavlodar Region",
    places: [
      "c:Павлодар|Павлодар",
      "c:Ақсу|Аксу",
      "c:Екібастұз|Экибастуз",
      "Аққулы|Аккулы",
      "Ақтоғай|Актогай",
      "Баянауыл|Баянаул",
      "Железин|Железинка",
      "Ертіс|Иртыш",
      "Май|Май",
      "Павлодар|Павлодарское",
      "Тереңкөл|Теренколь",
      "Успен|Успенка",
      "Шарбақты|Щербакты",
    ],
  },
  {
    code: "turkistan",
    kk: "Түркістан облысы",
    ru: "Туркестанская область",
    en: "Turkistan Region",
    places: [
      "c:Түркістан|Туркестан",
      "c:Кентау|Кентау",
      "c:Арыс|Арыс",
      "Бәйдібек|Байдибек",
      "Жетісай|Жетысай",
      "Қазығұрт|Казыгурт",
      "Келес|Келес",
      "Мақтаарал|Мактааральский",
      "Ордабасы|Ордабасы",
      "Отырар|Отрар",
      "Сайрам|Сайрам",
      "Сарыағаш|Сарыагаш",
      "Сауран|Сауран",
      "Созақ|Сузак",
      "Төлеби|Толеби",
      "Түлкібас|Тюлькубас",
      "Шардара|Шардара",
    ],
  },
  {
    code: "ulytau",
    kk: "Ұлытау облысы",
    ru: "Область Ұлытау",
    en: "Ulytau Region",
    places: [
      "c:Жезқазған|Жезказган",
      "c:Қаражал|Каражал",
      "c:Сәтбаев|Сатпаев",
      "Жаңаарқа|Жанаарка",
      "Ұлытау|Улытау",
    ],
  },
  {
    code: "west",
    kk: "Батыс Қазақстан облысы",
    ru: "Западно-Казахстанская область",
    en: "West Kazakhstan Region",
    places: [
      "c:Орал|Уральск",
      "Ақжайық|Акжаик",
      "Бәйтерек|Байтерек",
      "Бөкей ордасы|Бокейординский",
      "Бөрлі|Бурлин",
      "Жаңақала|Жангала",
      "Жәнібек|Жанибек",
      "Қазталов|Казталов",
      "Қаратөбе|Каратобе",
      "Сырым|Сырым",
      "Тасқала|Таскала",
      "Теректі|Теректи",
      "Шыңғырлау|Чингирлау",
    ],
  },
];

export type Language = "kk" | "ru" | "en";
export type LocalName = Readonly<Record<Language, string>>;

export interface Locality {
  readonly code: string;
  readonly region: string;
  readonly kind: "city" | "district";
  readonly name: LocalName;
  /** Upper-case Kazakh name, as the certificate's L (and ST for the region) carries it. */
  readonly certificateName: string;
}

export interface Region {
  readonly code: string;
  readonly name: LocalName;
  readonly cityOfRepublicanSignificance: boolean;
  readonly localities: readonly Locality[];
  readonly certificateName: string;
}

const LATIN: Record<string, string> = {
  а: "a",
  б: "b",
  в: "v",
  г: "g",
  д: "d",
  е: "e",
  ё: "yo",
  ж: "zh",
  з: "z",
  и: "i",
  й: "y",
  к: "k",
  л: "l",
  м: "m",
  н: "n",
  о: "o",
  п: "p",
  р: "r",
  с: "s",
  т: "t",
  у: "u",
  ф: "f",
  х: "kh",
  ц: "ts",
  ч: "ch",
  ш: "sh",
  щ: "shch",
  ъ: "",
  ы: "y",
  ь: "",
  э: "e",
  ю: "yu",
  я: "ya",
  ә: "a",
  ғ: "g",
  қ: "k",
  ң: "n",
  ө: "o",
  ұ: "u",
  ү: "u",
  һ: "h",
  і: "i",
};

export function transliterate(text: string): string {
  return [...text]
    .map((char) => {
      const lower = char.toLowerCase();
      const latin = LATIN[lower];
      if (latin === undefined) return char;
      return char === lower ? latin : latin.charAt(0).toUpperCase() + latin.slice(1);
    })
    .join("");
}

function localityOf(region: RegionSource, place: string): Locality {
  const city = place.startsWith("c:");
  const [kk, ru] = (city ? place.slice(2) : place).split("|") as [string, string];
  const en = transliterate(ru);
  const code = `${region.code}.${city ? "c-" : ""}${en.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  if (region.city) {
    return {
      code,
      region: region.code,
      kind: "district",
      name: { kk: `${kk} ауданы`, ru: `район ${ru}`, en: `${en} district` },
      certificateName: kk.toUpperCase(),
    };
  }
  return {
    code,
    region: region.code,
    kind: city ? "city" : "district",
    name: city
      ? { kk: `${kk} қ.`, ru: `г. ${ru}`, en: `${en} (city)` }
      : { kk: `${kk} ауданы`, ru: `район ${ru}`, en: `${en} district` },
    certificateName: kk.toUpperCase(),
  };
}

export const REGIONS: readonly Region[] = SOURCES.map((source) => ({
  code: source.code,
  name: { kk: source.kk, ru: source.ru, en: source.en },
  cityOfRepublicanSignificance: source.city === true,
  localities: source.places.map((place) => localityOf(source, place)),
  certificateName: source.kk.replace(/ (облысы|қаласы)$/, "").toUpperCase(),
}));

const REGION_BY_CODE = new Map(REGIONS.map((region) => [region.code, region]));
const LOCALITY_BY_CODE = new Map(
  REGIONS.flatMap((region) => region.localities.map((locality) => [locality.code, locality] as const)),
);

export const regionByCode = (code: string) => REGION_BY_CODE.get(code);
export const localityByCode = (code: string) => LOCALITY_BY_CODE.get(code);

/** A Registration Center: the public service centre of each locality confirms applications. */
export interface RegistrationCenter {
  readonly code: string;
  readonly region: string;
  readonly name: LocalName;
}

export const REGISTRATION_CENTERS: readonly RegistrationCenter[] = REGIONS.flatMap((region) =>
  region.localities.map((locality) => ({
    code: `${locality.code}.rc`,
    region: region.code,
    name: {
      kk: `Тіркеу орталығы: ${locality.name.kk}, ${region.name.kk}`,
      ru: `Регистрационный центр: ${locality.name.ru}, ${region.name.ru}`,
      en: `Registration Center: ${locality.name.en}, ${region.name.en}`,
    },
  })),
);

const CENTER_BY_CODE = new Map(REGISTRATION_CENTERS.map((center) => [center.code, center]));
export const centerByCode = (code: string) => CENTER_BY_CODE.get(code);
