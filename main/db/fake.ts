/**
 * Fictional people for the demo practice and the benchmark: a seeded generator (the same seed
 * gives the same practice) and bilingual Québec-style names, with accents on purpose.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  // mulberry32
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const familyNames = [
  'Tremblay', 'Gagnon', 'Roy', 'Côté', 'Bouchard', 'Gauthier', 'Morin', 'Lavoie', 'Fortin', 'Gagné', 'Ouellet', 'Pelletier',
  'Bélanger', 'Lévesque', 'Bergeron', 'Leblanc', 'Paquette', 'Girard', 'Simard', 'Boucher', 'Caron', 'Beaulieu', 'Cloutier',
  'Dubé', 'Poirier', 'Fournier', 'Lapointe', 'Leclerc', 'Lefebvre', 'Poulin', 'Thibault', "O'Brien", 'Smith', 'MacDonald',
  'Nguyen', 'Chen', 'Patel', 'Haddad', 'Kowalski', 'Müller', 'García', 'Joseph', 'St-Pierre', 'Després', 'Thériault',
  'Ménard', 'Séguin', 'Brisebois', 'Chrétien', 'Hébert',
];

export const givenNames = [
  'Hélène', 'Noémie', 'Chloé', 'Zoé', 'Léa', 'Émilie', 'Geneviève', 'Anne', 'Marie-Ève', 'Isabelle', 'Sophie', 'Camille',
  'Amélie', 'Océane', 'Rosalie', 'Maëlle', 'Sarah', 'Emma', 'Olivia', 'Charlotte', 'Jérôme', 'François', 'Luc', 'Marc',
  'Éric', 'Benoît', 'Stéphane', 'Mathieu', 'Gabriel', 'Samuel', 'Félix', 'Thomas', 'William', 'Noah', 'Liam', 'Jacob',
  'Raphaël', 'Loïc', 'Jean-François', 'André', 'Pierre-Luc', 'Mohamed', 'Wei', 'Priya', 'Ahmed', 'Olga', 'James', 'Emily',
];

export function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

export function fakeBirthDate(random: () => number): string {
  const year = 1935 + Math.floor(random() * 85);
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** 555-01xx numbers are reserved for fiction in North America. */
export function fakePhone(random: () => number): string {
  const area = pick(random, ['514', '438', '450', '418', '819', '613']);
  return `${area} 555-01${String(Math.floor(random() * 100)).padStart(2, '0')}`;
}
