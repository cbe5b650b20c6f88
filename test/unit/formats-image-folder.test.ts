import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/formats/errors';
import { checkSameSize, isImagePath, planImageFolder } from '../../src/formats/image-folder';

const classFolders = (classes: Record<string, number>, prefix = '', ext = 'png') =>
  Object.entries(classes).flatMap(([name, n]) => Array.from({ length: n }, (_, i) => `${prefix}${name}/${String(i).padStart(3, '0')}.${ext}`));

describe('planImageFolder', () => {
  it('uses train/ and test/ folders as given, classes sorted, labels interleaved by class', () => {
    const plan = planImageFolder([
      ...classFolders({ dog: 3, cat: 2 }, 'train/', 'jpg'),
      ...classFolders({ dog: 1, cat: 1 }, 'test/', 'JPEG'),
      'train/',
      'train/cat/',
    ]);
    expect(plan.layout).toBe('split-folders');
    expect(plan.classNames).toEqual(['cat', 'dog']);
    expect(plan.train).toEqual([
      { path: 'train/cat/000.jpg', label: 0 },
      { path: 'train/dog/000.jpg', label: 1 },
      { path: 'train/cat/001.jpg', label: 0 },
      { path: 'train/dog/001.jpg', label: 1 },
      { path: 'train/dog/002.jpg', label: 1 },
    ]);
    expect(plan.test.map((t) => t.path)).toEqual(['test/cat/000.JPEG', 'test/dog/000.JPEG']);
  });

  it('takes val/ for test/, looks through an enclosing folder, ignores hidden files and Windows separators', () => {
    const plan = planImageFolder([
      'pets\\train\\cat\\a.webp',
      'pets\\train\\dog\\b.webp',
      'pets/val/cat/c.png',
      'pets/val/dog/d.png',
      'pets/.DS_Store',
      'pets/train/cat/.thumbs/x.db',
      '__MACOSX/pets/train/cat/._a.webp',
    ]);
    expect(plan.layout).toBe('split-folders');
    expect(plan.classNames).toEqual(['cat', 'dog']);
    expect(plan.train.map((t) => t.path)).toEqual(['pets\\train\\cat\\a.webp', 'pets\\train\\dog\\b.webp']);
    expect(plan.test.map((t) => t.label)).toEqual([0, 1]);
  });

  it('splits <class>/<image> folders by a seeded ratio, whatever order the paths come in', () => {
    const paths = classFolders({ zebra: 10, ant: 20, moth: 5 }, 'bugs/');
    const plan = planImageFolder(paths, { testFraction: 0.2, seed: 3 });
    expect(plan.layout).toBe('class-folders');
    expect(plan.classNames).toEqual(['ant', 'moth', 'zebra']);
    const testPerClass = [0, 1, 2].map((k) => plan.test.filter((t) => t.label === k).length);
    expect(testPerClass).toEqual([4, 1, 2]);
    expect(plan.train.length + plan.test.length).toBe(35);
    const all = new Set([...plan.train, ...plan.test].map((t) => t.path));
    expect(all.size).toBe(35);
    // Deterministic for a seed, independent of listing order; another seed holds out other images.
    expect(planImageFolder([...paths].reverse(), { testFraction: 0.2, seed: 3 })).toEqual(plan);
    expect(planImageFolder(paths, { testFraction: 0.2, seed: 4 }).test).not.toEqual(plan.test);
    // The first rounds of the training order cycle through the classes.
    expect(plan.train.slice(0, 3).map((t) => t.label)).toEqual([0, 1, 2]);
  });

  it('refuses a non-image file, naming it', () => {
    const error = (() => {
      try {
        planImageFolder([...classFolders({ cat: 2, dog: 2 }), 'dog/notes.txt']);
      } catch (e) {
        return e as FormatError;
      }
    })();
    expect(error).toBeInstanceOf(FormatError);
    expect(error!.file).toBe('dog/notes.txt');
    expect(error!.message).toBe('dog/notes.txt: is not an image (by its extension; images are .jpg, .jpeg, .png, .webp)');
    expect(() => planImageFolder([...classFolders({ cat: 2, dog: 2 }), 'README'])).toThrow(/^README: is not an image/);
  });

  it('refuses an empty class, naming its folder', () => {
    expect(() => planImageFolder([...classFolders({ cat: 2, dog: 2 }), 'bird/'])).toThrow(new FormatError('bird/', 'class "bird" has no images'));
    expect(() => planImageFolder([...classFolders({ cat: 2, dog: 2 }), 'bird/', 'bird/.hidden.png'])).toThrow('bird/: class "bird" has no images');
    expect(() => planImageFolder([...classFolders({ cat: 2, dog: 2 }, 'train/'), ...classFolders({ cat: 1 }, 'test/')])).toThrow(
      'test/dog/: class "dog" has no test images',
    );
    expect(() => planImageFolder([...classFolders({ cat: 2, dog: 2 }, 'train/'), 'test/dog/', ...classFolders({ cat: 1 }, 'test/')])).toThrow(
      'test/dog/: class "dog" has no test images',
    );
  });

  it('refuses files at the wrong depth, too few classes or images, and a split folder alone', () => {
    expect(() => planImageFolder([...classFolders({ cat: 2, dog: 2 }), 'cat/more/x.png'])).toThrow(/^cat\/more\/x\.png: is not where an image belongs/);
    expect(() => planImageFolder([...classFolders({ cat: 2, dog: 2 }), 'stray.png'])).toThrow(/^stray\.png: is not where an image belongs/);
    expect(() => planImageFolder(classFolders({ cat: 3 }), { root: 'pics' })).toThrow('pics: has 1 class folder; a dataset needs at least 2');
    expect(() => planImageFolder(classFolders({ cat: 3, dog: 1 }))).toThrow('dog/: class "dog" has 1 image; splitting into train and test needs at least 2');
    expect(() => planImageFolder(classFolders({ cat: 2, dog: 2 }, 'train/'), { root: 'pics' })).toThrow('pics: has a train/ folder but no test/ (or val/) folder');
    expect(() => planImageFolder(['a/', 'b/'], { root: 'pics' })).toThrow('pics: has no files');
  });

  it('knows image extensions', () => {
    expect(['a.jpg', 'b.JPEG', 'c.png', 'd.webp', 'x/y.Png'].every(isImagePath)).toBe(true);
    expect(['a.gif', 'b.tiff', 'png', 'x.png/readme', 'a.jpg.txt'].some(isImagePath)).toBe(false);
  });
});

describe('checkSameSize', () => {
  it('returns the common size', () => {
    expect(checkSameSize([{ path: 'a.png', width: 32, height: 24 }, { path: 'b.png', width: 32, height: 24 }])).toEqual({ width: 32, height: 24 });
  });

  it('refuses mixed sizes, naming the first image that differs', () => {
    const sizes = [
      { path: 'cat/a.png', width: 32, height: 32 },
      { path: 'cat/b.png', width: 32, height: 32 },
      { path: 'dog/c.png', width: 64, height: 48 },
      { path: 'dog/d.png', width: 16, height: 16 },
    ];
    expect(() => checkSameSize(sizes)).toThrow(
      new FormatError('dog/c.png', 'is 64×48 pixels, but cat/a.png is 32×32; images of mixed sizes need a resolution to resize to'),
    );
    expect(() => checkSameSize([])).toThrow('folder: has no images');
  });
});
